"""The floor: a bare endpoint that validates a save's body and does one insert, with the app's own engine settings
(SQLite in WAL mode, or PostgreSQL). bench/ serves it beside the app under the same load to show the distance."""

import os

from fastapi import FastAPI
from pydantic import BaseModel
from sqlalchemy import text

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
            connection.execute(text("INSERT INTO bench_floor (item_id, note) VALUES (:item, :note)"), {"item": item_id, "note": data.note})
        return {"item_id": item_id, "version": data.version + 1}

    return app
