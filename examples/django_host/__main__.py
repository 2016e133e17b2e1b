"""Run the Django example host: ``python -m examples.django_host [--port 8002]``.

Django's tables and participatie's share one SQLite file (``--database``, default
``django-example.db``), both migrated first; needs ``PARTICIPATIE_SECRET_KEYS``.
"""

from __future__ import annotations

import argparse
import os
import secrets


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m examples.django_host")
    parser.add_argument("--port", type=int, default=8002)
    parser.add_argument("--database", default="django-example.db")
    args = parser.parse_args(argv)

    from django.core.management import call_command  # type: ignore[import-untyped]

    from examples.django_host import site

    secret = os.environ.get("DJANGO_SECRET_KEY") or secrets.token_urlsafe(32)
    site.configure(os.path.abspath(args.database), secret_key=secret)
    call_command("migrate", verbosity=0)
    base = f"http://127.0.0.1:{args.port}"
    site.PARTICIPATIE = site.participatie_for_django(public_base_url=base)
    print(f"Django example on {base}/ (petitions at /petitions/<id>)", flush=True)
    call_command("runserver", f"127.0.0.1:{args.port}", use_reloader=False)


if __name__ == "__main__":
    main()
