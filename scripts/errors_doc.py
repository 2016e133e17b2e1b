"""Write docs/errors.md from the error classes: python scripts/errors_doc.py > docs/errors.md"""

from __future__ import annotations

import importlib

from participatie.errors import ParticipatieError, error_classes

# The web layer's own errors are part of the tree (the web extra is installed to build
# the docs).
for module in ("polls", "petitions", "reactions", "subscriptions", "web"):
    importlib.import_module(f"participatie.{module}.errors")
# Refusals of uploaded documents live with the upload checks.
importlib.import_module("participatie.uploads")


def depth(cls: type[ParticipatieError]) -> int:
    return len([c for c in cls.__mro__ if issubclass(c, ParticipatieError)]) - 1


def main() -> None:
    print("# Errors\n")
    print(
        "Every error the library raises on purpose derives from `ParticipatieError` and has a\n"
        "stable `code` (what a host matches on; the web layer maps it to an HTTP status and a\n"
        "translated message), a `message`, and where input was wrong, `field`.\n"
    )
    print(
        "Which codes a call can raise is in its docstring: every public method of\n"
        "`p.polls`, `p.petitions`, `p.reactions`, `p.subscriptions`, `p.outbox` and\n"
        "`p.privacy` names its arguments (`Args:`), its result (`Returns:`) and its errors\n"
        "with their codes (`Raises:`); `help(p.petitions.sign)` shows them. A call that\n"
        "touches the database can also raise `db.unavailable`.\n"
    )
    print("| class | code | HTTP | meaning |")
    print("|---|---|---|---|")
    for cls in error_classes():
        doc = (cls.__doc__ or "").strip().splitlines()[0] if cls.__doc__ else ""
        indent = "&nbsp;&nbsp;" * depth(cls)
        print(
            f"| {indent}`{cls.__name__}` ({cls.__module__}) | `{cls.code}` | {cls.status} | {doc} |"
        )


if __name__ == "__main__":
    main()
