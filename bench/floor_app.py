"""The floor: a bare endpoint that validates a save's body and does one insert, with the app's own engine settings
(SQLite in WAL mode, or PostgreSQL). bench/ serves it beside the app under the same load to show the distance."""

import argparse
import os

import uvicorn
from fastapi import FastAPI
from pydantic import BaseModel
from sqlalchemy import text

from auditor.cli import listening_socket
from auditor.db import make_engine


class Save(BaseModel):
    verdict: str | None = None
    note: str = ""
    version: int = 0


def create_app() -> FastAPI:
    app = FastAPI()
    engine = make_engine(os.environ["AUDITOR_DATABASE_URL"])

    @app.put("/floor/{item_id}")
    def save(item_id: str, data: Save) -> dict:
        """One INSERT in its own transaction (the table is made by bench/_servers.py)."""
        with engine.begin() as connection:
            connection.execute(
                text("INSERT INTO bench_floor (item_id, note) VALUES (:item, :note)"),
                {"item": item_id, "note": data.note},
            )
        return {"item_id": item_id, "version": data.version + 1}

    return app


if __name__ == "__main__":  # served like `auditor serve`: the workers share a socket bound here with TCP_NODELAY
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    sock = listening_socket("127.0.0.1", args.port)
    uvicorn.run(
        "bench.floor_app:create_app",
        factory=True,
        fd=sock.fileno(),
        workers=args.workers,
        access_log=False,
        log_level="warning",
    )
