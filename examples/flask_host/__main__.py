"""Run the Flask example host: ``python -m examples.flask_host [--port 8001]``.

It uses ``PARTICIPATIE_DATABASE_URL`` (default ``sqlite:///flask-example.db``, migrated
first) and needs ``PARTICIPATIE_SECRET_KEYS``; petitions live at ``/petitions/<id>``.
"""

from __future__ import annotations

import argparse
import os
import secrets

from examples.flask_host.app import create_flask_app
from participatie import Participatie, Settings


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m examples.flask_host")
    parser.add_argument("--port", type=int, default=8001)
    args = parser.parse_args(argv)
    base = f"http://127.0.0.1:{args.port}"
    url = os.environ.get("PARTICIPATIE_DATABASE_URL", "sqlite:///flask-example.db")
    participatie = Participatie(Settings.load(database_url=url, public_base_url=base))
    participatie.migrate()
    secret = os.environ.get("FLASK_SECRET_KEY") or secrets.token_urlsafe(32)
    app = create_flask_app(participatie, secret_key=secret)
    print(f"Flask example on {base}/ (petitions at /petitions/<id>)", flush=True)
    app.run(host="127.0.0.1", port=args.port)


if __name__ == "__main__":
    main()
