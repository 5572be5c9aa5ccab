"""Names Manager API: a list of names in PostgreSQL behind /api/names, health on /healthz."""

import logging
import os

import psycopg2
import psycopg2.extras
from flask import Flask, abort, jsonify, request

logging.basicConfig(level=os.environ.get("LOG_LEVEL", "INFO"))
MAX_NAME_LENGTH = int(os.environ.get("MAX_NAME_LENGTH", "50"))

app = Flask(__name__)


def db_password() -> str:
    path = os.environ.get("DB_PASSWORD_FILE")
    if path:
        with open(path, encoding="utf-8") as f:
            return f.read().strip()
    return os.environ.get("DB_PASSWORD", "")


def connect():
    url = os.environ.get("DATABASE_URL") or os.environ.get("DB_URL")
    if url:
        return psycopg2.connect(url)
    return psycopg2.connect(
        host=os.environ.get("DB_HOST", "db"),
        port=int(os.environ.get("DB_PORT", "5432")),
        dbname=os.environ.get("DB_NAME", "namesdb"),
        user=os.environ.get("DB_USER", "names_user"),
        password=db_password(),
        connect_timeout=3,
    )


SCHEMA = (
    "CREATE TABLE IF NOT EXISTS names ("
    " id SERIAL PRIMARY KEY,"
    " name VARCHAR(%s) NOT NULL,"
    " created_at TIMESTAMPTZ NOT NULL DEFAULT now())"
)
_schema_ready = False


def query(sql: str, params: tuple = (), fetch: bool = True):
    global _schema_ready
    conn = connect()
    try:
        with conn, conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cur:
            if not _schema_ready:
                cur.execute(SCHEMA, (MAX_NAME_LENGTH,))
            cur.execute(sql, params)
            result = cur.fetchall() if fetch else cur.rowcount
        _schema_ready = True
        return result
    finally:
        conn.close()


@app.get("/healthz")
def healthz():
    return {"status": "ok"}


@app.get("/api/names")
def list_names():
    rows = query("SELECT id, name, created_at FROM names ORDER BY id")
    return jsonify({"names": [{**r, "created_at": r["created_at"].isoformat()} for r in rows]})


@app.post("/api/names")
def add_name():
    name = ((request.get_json(silent=True) or {}).get("name") or "").strip()
    if not name or len(name) > MAX_NAME_LENGTH:
        abort(400, f"name must be 1-{MAX_NAME_LENGTH} characters")
    row = query("INSERT INTO names (name) VALUES (%s) RETURNING id, name", (name,))[0]
    return jsonify(row), 201


@app.delete("/api/names/<int:name_id>")
def delete_name(name_id: int):
    if query("DELETE FROM names WHERE id = %s", (name_id,), fetch=False) == 0:
        abort(404)
    return "", 204
