"""Reading a back-office form: typed dates and numbers parsed with the field named, and
every field's problem collected so a form names all that is wrong in one try."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from pydantic import ValidationError

from participatie.errors import InvalidInput, ParticipatieError

Parsed = TypeVar("Parsed")


class FormProblems(InvalidInput):
    """Several fields of one form are wrong at once: ``problems`` maps each form field to
    its own error, in the order of the form. Its ``field`` is the first of them."""

    code = "input.fields"

    def __init__(self, problems: dict[str, ParticipatieError]) -> None:
        first = next(iter(problems), "")
        super().__init__(f"{len(problems)} field(s) are not valid", field=first or None)
        self.problems = problems


class FormCheck:
    """Collects the problems of one form's fields, so a form reports every wrong field at
    once instead of one per try.

    ``check.value(parse, text, field="x")`` runs a parser (a date, a whole number) and
    keeps its error; ``check.model(Model, **values)`` builds a pydantic model and keeps
    every field it refuses; ``check.done()`` raises :class:`FormProblems` when anything
    was wrong. ``rename`` turns the library's field names into the form's.
    """

    def __init__(self, rename: Callable[[str], str] | None = None) -> None:
        self.problems: dict[str, ParticipatieError] = {}
        self._rename = rename or (lambda name: name)

    def add(self, exc: ParticipatieError) -> None:
        """Keep ``exc`` for its field (the first problem of a field is the one shown).

        Args:
            exc: a domain error; its ``field`` names the field.
        """

        name = self._rename(exc.field or "")
        if name not in self.problems:
            self.problems[name] = exc

    def add_validation(self, exc: ValidationError) -> None:
        """Keep every field pydantic refused, each as ``input.invalid``.

        Args:
            exc: pydantic's error; each error's location names a field.
        """

        for name in validation_fields(exc):
            self.add(InvalidInput("not a valid value", field=name))

    def value(self, parse: Callable[..., Parsed], *args: Any, **kwargs: Any) -> Parsed | None:
        """``parse(*args, **kwargs)``, or None when it refuses (the error is kept).

        Args:
            parse: a parser that raises a domain error naming the field.
            args: its arguments.
            kwargs: its keyword arguments.

        Returns:
            What ``parse`` returned, or None when it raised.
        """

        try:
            return parse(*args, **kwargs)
        except ParticipatieError as exc:
            self.add(exc)
            return None

    def model(self, model: Callable[..., Parsed], **values: Any) -> Parsed | None:
        """A pydantic model of ``values``, or None when pydantic refuses (every wrong
        field is kept).

        Args:
            model: the pydantic model (or a function building it).
            values: its fields.

        Returns:
            The model, or None when it is not valid.
        """

        try:
            return model(**values)
        except ValidationError as exc:
            self.add_validation(exc)
            return None
        except ParticipatieError as exc:
            self.add(exc)
            return None

    def done(self, order: Sequence[str] = ()) -> None:
        """Raise the problems found so far, if any.

        Args:
            order: the form's fields in the order of the page (the first wrong one gets
                the focus); fields not in it come last.

        Raises:
            FormProblems: one or more fields are wrong.
        """

        if self.problems:
            rank = {name: index for index, name in enumerate(order)}
            found = sorted(self.problems.items(), key=lambda item: rank.get(item[0], len(rank)))
            raise FormProblems(dict(found))


def validation_fields(exc: ValidationError) -> list[str]:
    """The fields pydantic refused, by their dotted location (``submitters.0.postcode``),
    each once, in the order found."""

    names: list[str] = []
    for error in exc.errors():
        name = ".".join(str(part) for part in error.get("loc", ()))
        if name not in names:
            names.append(name)
    return names


def whole_number(value: str, *, field: str) -> int:
    """A whole number typed in a form; anything else is ``input.invalid`` on ``field``."""

    try:
        return int(value.strip())
    except ValueError:
        raise InvalidInput(f"{value!r} is not a whole number", field=field) from None


def whole_numbers(value: str, *, field: str) -> list[int]:
    """Whole numbers separated by spaces or commas (``500 1000``)."""

    return [whole_number(n, field=field) for n in value.replace(",", " ").split()]
