"""The host application's own tables, on its own declarative base and metadata."""

from __future__ import annotations

from typing import Any

from sqlalchemy import String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class HostBase(DeclarativeBase):
    pass


class NewsItem(HostBase):
    __tablename__ = "host_news_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))


def include_name(name: str | None, type_: Any, parent_names: Any) -> bool:
    """The host's Alembic looks at its own tables only, never at ``participatie_*``."""

    if type_ == "table":
        return not (name or "").startswith("participatie_")
    return True
