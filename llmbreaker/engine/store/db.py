"""The run store's database: tables, schema version, a single writer thread, caps.

Why a writer thread: a training step takes a few milliseconds; a database write (and compressing
attention) can take longer, and SQLite allows one writer at a time. So the training thread only
puts a small tuple on a queue (`start_run`, `add_losses`, `add_checkpoint`, `finish_run`), and one
thread per store turns them into rows, several to a transaction. If the database cannot be opened
or written (a corrupt or locked file, a full disk, a server that is down) the store says so in
`problem`, drops what it is given and never raises into training: the run just is not kept.

Portable SQL only (SQLAlchemy Core/ORM types, no SQLite-only statements outside the SQLite
connection set-up), so the same store and tests run on PostgreSQL through LLMBREAKER_DB_URL.

Runs come in series (schema 2): the runs a page shows together (the Lab's compared runs, the
Scaling experiment's sizes) share `series`, the token of the first of them; a run alone is a series
of one. `owner` is an opaque hash of the browser that started a run ("Your runs": `list_runs`,
`rename`, `delete`), `title` a name its person gave it. Those three calls, `export_run` and
`import_run` (runfile.py: one .lbrun file per series) are direct: they run on the caller's thread.
Every write transaction takes the database's write lock before it reads (SQLite: BEGIN IMMEDIATE;
PostgreSQL: the run's row FOR UPDATE), so a person deleting a run the writer is writing never
leaves a checkpoint without its run, and never turns the store unavailable.
"""
from __future__ import annotations

import atexit
import json
import os
import queue
import re
import secrets
import threading
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from sqlalchemy import (BigInteger, Double, ForeignKey, Integer, LargeBinary, String, Text, create_engine, delete,
                        event, func, inspect, select, update)
from sqlalchemy import text as sql_text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

CURRENT_SCHEMA = 2
# Migrations from version v to v + 1, each a function of a connection inside a transaction (filled
# in below the tables). A database of a version without a path here is refused, with a message.
MIGRATIONS: dict[int, object] = {}
EMPTY = -1  # the "version" of a database without tables

ROOT = Path(__file__).resolve().parents[3]  # the repository: llmbreaker/engine/store/db.py
DEFAULT_URL = f"sqlite:///{ROOT / 'data' / 'llmbreaker.db'}"
DEFAULT_MAX_MB = 500.0  # ~1,000 default Shakespeare runs (the text is most of a run's bytes)
DEFAULT_MAX_DAYS = 30.0  # long enough to train before a course and show it weeks later
QUEUE_LIMIT = 20_000  # pending writes; a store this far behind gives up rather than grow memory
WRITER_IDLE_SECONDS = 5.0  # the writer thread ends when idle this long (a new write starts it again)
SQLITE_BUSY_TIMEOUT = 5.0  # seconds a write waits for SQLite's lock (another process) before "locked"
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
MAX_TITLE = 300
RUN_STATES = ("running", "completed", "stopped", "error", "interrupted")


def new_token() -> str:
    """An unguessable run token (the address's ?run=): 128 bits from the system's CSPRNG."""
    return secrets.token_urlsafe(16)


class StoreError(Exception):
    """The store cannot be used; `str(e)` is a message for a person."""


class Base(DeclarativeBase):
    pass


class SchemaVersion(Base):
    __tablename__ = "schema_version"
    version: Mapped[int] = mapped_column(Integer, primary_key=True)


class RunRow(Base):
    __tablename__ = "runs"
    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    # Schema 2. series: the token of the first run of the group a page shows together (its own for
    # a run alone); owner: a hash of the browser that started it ("" unknown); title: its name.
    series: Mapped[str] = mapped_column(String(64), index=True, server_default="")
    owner: Mapped[str] = mapped_column(String(64), index=True, default="", server_default="")
    title: Mapped[str] = mapped_column(String(300), default="", server_default="")
    page: Mapped[str] = mapped_column(String(32))
    label: Mapped[str] = mapped_column(String(300))
    settings: Mapped[str] = mapped_column(Text)  # JSON: the request's model and train configs, base
    # The large columns load only when read: the writer updates a run's small columns many times.
    # Schema 1 kept the text here; schema 2 keeps it in run_texts (b"" here): SQLite rewrites a whole
    # row, overflow pages and all, on every update, so a 500 KB text was written again at every checkpoint.
    text: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    info: Mapped[str] = mapped_column(Text, default="{}")  # JSON: vocab, next_prompt, probe_tokens, parameters
    created: Mapped[float] = mapped_column(Double, index=True)  # seconds since the epoch
    updated: Mapped[float] = mapped_column(Double)
    state: Mapped[str] = mapped_column(String(16))  # running, completed, stopped, error, interrupted
    step: Mapped[int] = mapped_column(Integer, default=0)
    total_steps: Mapped[int] = mapped_column(Integer, default=0)
    train_loss: Mapped[float | None] = mapped_column(Double, nullable=True)  # of the last checkpoint
    val_loss: Mapped[float | None] = mapped_column(Double, nullable=True)
    seconds: Mapped[float | None] = mapped_column(Double, nullable=True)
    message: Mapped[str] = mapped_column(Text, default="")
    losses: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True, deferred=True)  # zlib: int32 steps, float32 losses
    model_file: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True, deferred=True)
    size: Mapped[int] = mapped_column(BigInteger, default=0)  # bytes the run holds, for the size cap


class RunTextRow(Base):
    """A run's text (zlib of its UTF-8), written once when the run starts (schema 2)."""
    __tablename__ = "run_texts"
    token: Mapped[str] = mapped_column(String(64), ForeignKey("runs.token", ondelete="CASCADE"), primary_key=True)
    text: Mapped[bytes] = mapped_column(LargeBinary)


class CheckpointRow(Base):
    __tablename__ = "checkpoints"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_token: Mapped[str] = mapped_column(String(64), ForeignKey("runs.token", ondelete="CASCADE"), index=True)
    step: Mapped[int] = mapped_column(Integer)
    train_loss: Mapped[float] = mapped_column(Double)
    val_loss: Mapped[float] = mapped_column(Double)
    lr: Mapped[float] = mapped_column(Double)
    elapsed: Mapped[float] = mapped_column(Double)
    sample: Mapped[str] = mapped_column(Text)
    next_token: Mapped[str] = mapped_column(Text)  # JSON [[char, probability], ...]
    attention: Mapped[bytes] = mapped_column(LargeBinary)  # zlib of float16: fine for pictures
    attention_shape: Mapped[str] = mapped_column(String(64))  # JSON list
    experts: Mapped[str | None] = mapped_column(Text, nullable=True)  # JSON, arrays tagged


def _migrate_1_to_2(conn) -> None:
    """Schema 1 -> 2: runs gain series (= their own token: every old run was alone), owner ("":
    nobody's, still open by its address) and title (""). Columns already there are left alone, so a
    migration that another process began is finished, not repeated."""
    have = {c["name"] for c in inspect(conn).get_columns("runs")}
    for name, ddl in (("series", "VARCHAR(64) NOT NULL DEFAULT ''"), ("owner", "VARCHAR(64) NOT NULL DEFAULT ''"),
                      ("title", "VARCHAR(300) NOT NULL DEFAULT ''")):
        if name not in have:
            conn.execute(sql_text(f"ALTER TABLE runs ADD COLUMN {name} {ddl}"))
    runs, texts = RunRow.__table__, RunTextRow.__table__
    conn.execute(update(runs).where(runs.c.series == "").values(series=runs.c.token))
    texts.create(conn, checkfirst=True)
    conn.execute(texts.insert().from_select(["token", "text"], select(runs.c.token, runs.c.text).where(
        runs.c.token.notin_(select(texts.c.token)))))
    conn.execute(update(runs).values(text=b""))
    for index in RunRow.__table__.indexes:
        if {c.name for c in index.columns} & {"series", "owner"}:
            index.create(conn, checkfirst=True)


MIGRATIONS[1] = _migrate_1_to_2


@dataclass
class StoredCheckpoint:
    """A checkpoint read back: the same attributes as trainer.Checkpoint."""
    step: int
    train_loss: float
    val_loss: float
    sample: str
    attention: np.ndarray
    next_token: list[tuple[str, float]]
    lr: float
    elapsed: float
    experts: dict | None = None


@dataclass
class StoredRun:
    token: str
    page: str
    label: str
    settings: dict
    text: str
    info: dict
    created: float
    updated: float
    state: str
    step: int
    total_steps: int
    train_loss: float | None
    val_loss: float | None
    seconds: float | None
    message: str
    steps: list[int] = field(default_factory=list)
    losses: list[float] = field(default_factory=list)
    model_file: bytes | None = None
    checkpoints: list[StoredCheckpoint] = field(default_factory=list)
    series: str = ""  # the token of its series' first run (its own when alone)
    owner: str = ""
    title: str = ""


@dataclass
class RunSummary:
    """One series in "Your runs": its first run's token, page, label and title; the last run's
    state, steps and validation loss; how many runs and bytes it holds."""
    token: str
    page: str
    label: str
    title: str
    created: float
    updated: float
    state: str
    step: int
    total_steps: int
    val_loss: float | None
    runs: int
    last_sample: str
    size: int


# -- encodings ----------------------------------------------------------------------------------------
def _to_json(value):
    if isinstance(value, np.ndarray):
        return {"__array__": value.tolist(), "dtype": str(value.dtype)}
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        return {k: _to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_to_json(v) for v in value]
    return value


def _from_json(value):
    if isinstance(value, dict):
        if "__array__" in value:
            return np.asarray(value["__array__"], dtype=value["dtype"])
        return {k: _from_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_from_json(v) for v in value]
    return value


def _pack_losses(steps: list[int], losses: list[float]) -> bytes:
    return zlib.compress(np.asarray(steps, np.int32).tobytes() + np.asarray(losses, np.float32).tobytes())


def _unpack_losses(blob: bytes | None) -> tuple[list[int], list[float]]:
    if not blob:
        return [], []
    raw = zlib.decompress(blob)
    n = len(raw) // 8
    return (np.frombuffer(raw[:4 * n], np.int32).tolist(),
            [float(x) for x in np.frombuffer(raw[4 * n:], np.float32)])


def _clean(value: str) -> str:
    """A string PostgreSQL's TEXT takes: NUL is the one character it refuses (SQLite keeps it)."""
    return value.replace("\x00", "\ufffd") if "\x00" in value else value


def _describe(exc: BaseException) -> str:
    """A database failure in words a person (or a deployer) can act on."""
    text = str(exc).lower()
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return "its database file is damaged (move it away and a new one is made)"
    if "locked" in text or "busy" in text:
        return "its database file is locked by another program"
    if "full" in text or getattr(exc, "errno", None) == 28:
        return "the disk is full"
    if "readonly" in text or "read-only" in text or "permission" in text:
        return "its database file cannot be written (permissions)"
    if ("could not connect" in text or "connection" in text or "timeout expired" in text
            or "name or service not known" in text):
        return "its database server cannot be reached"
    return f"its database failed ({type(exc).__name__})"


def settings_from_env(env=os.environ) -> tuple[str, float, float]:
    """(database URL, size cap in bytes, age limit in seconds) from LLMBREAKER_DB_URL,
    LLMBREAKER_STORE_MAX_MB and LLMBREAKER_STORE_MAX_DAYS. A bad number raises StoreError."""
    url = env.get("LLMBREAKER_DB_URL", "").strip() or DEFAULT_URL
    numbers = []
    for name, default, unit in (("LLMBREAKER_STORE_MAX_MB", DEFAULT_MAX_MB, "megabytes"),
                                ("LLMBREAKER_STORE_MAX_DAYS", DEFAULT_MAX_DAYS, "days")):
        raw = env.get(name, "").strip()
        try:
            value = float(raw) if raw else default
            if not value > 0:
                raise ValueError
        except ValueError:
            raise StoreError(f"{name} must be a positive number of {unit}; it is '{raw[:20]}'.") from None
        numbers.append(value)
    return url, numbers[0] * 1e6, numbers[1] * 86400.0


_CLOSE = object()


class RunStore:
    """One database of runs. Writes are queued (any thread) and done by one writer thread; reads
    (`load_run`) run on the caller's thread. `available` is False, with `problem` saying why, when
    the database cannot be used: then writes are dropped and `load_run` raises StoreError."""

    def __init__(self, url: str | None = None, max_bytes: float | None = None, max_age: float | None = None,
                 clock=time.time):
        self.problem = ""
        self.clock = clock
        self._q: queue.Queue = queue.Queue(maxsize=QUEUE_LIMIT)
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._closed = False
        self._live: dict[str, dict] = {}  # writer thread only: what it holds of each run being written
        self._live_series: dict[str, int] = {}  # series -> runs of it being written (under _lock): never capped
        self._pending_losses: dict[str, tuple[list, list]] = {}  # token -> (steps, losses), under _lock
        self.engine = None
        self.write_engine = None
        try:
            env_url, env_bytes, env_age = settings_from_env()
        except StoreError as e:
            env_url, env_bytes, env_age = DEFAULT_URL, DEFAULT_MAX_MB * 1e6, DEFAULT_MAX_DAYS * 86400
            self.problem = str(e)
        self.url = url or env_url
        self.max_bytes = max_bytes if max_bytes is not None else env_bytes
        self.max_age = max_age if max_age is not None else env_age
        if not self.problem:
            try:
                self.engine = self._open()
                with Session(self.write_engine) as s, s.begin():
                    self._enforce_caps(s)
            except StoreError as e:
                self.problem = str(e)
            except Exception as e:  # any driver's error: the app goes on without a store
                self.problem = f"Runs are not kept: {_describe(e)}."
        if self.problem and self.engine is not None:
            self.engine.dispose()
            self.engine = self.write_engine = None
        _OPEN_STORES.add(self)

    @property
    def available(self) -> bool:
        return not self.problem and not self._closed

    @property
    def where(self) -> str:
        """The database for people: the SQLite file, or the URL without its password."""
        u = make_url(self.url)
        return u.database if u.get_backend_name() == "sqlite" else u.render_as_string(hide_password=True)

    # -- opening: the file, the schema version -----------------------------------------------
    def _open(self):
        url = make_url(self.url)
        kwargs = {}
        sqlite = url.get_backend_name() == "sqlite"
        if sqlite:
            if url.database and url.database != ":memory:":
                Path(url.database).parent.mkdir(parents=True, exist_ok=True)
            # The writer and the page's reads are different threads; SQLite waits this long for a
            # lock (another process, a replica's writer) before it reports "locked".
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT}
        elif url.get_backend_name() == "postgresql" and "connect_timeout" not in url.query:
            # A server that does not answer: the app opens without a store in seconds, not minutes.
            kwargs["connect_args"] = {"connect_timeout": 5}
        engine = create_engine(url, pool_pre_ping=not sqlite, **kwargs)
        if sqlite:
            @event.listens_for(engine, "connect")
            def _sqlite_setup(dbapi_conn, _record):
                cur = dbapi_conn.cursor()
                # WAL: the page reads while the writer writes; foreign keys: checkpoints go with their run.
                cur.execute("PRAGMA journal_mode=WAL")
                cur.execute("PRAGMA foreign_keys=ON")
                # In WAL mode NORMAL cannot corrupt the file; a power cut may lose the last writes.
                cur.execute("PRAGMA synchronous=NORMAL")
                cur.close()
                # SQLAlchemy, not the sqlite3 module, begins transactions (below): the module's
                # own mode begins one only at the first INSERT/UPDATE/DELETE, after the reads.
                dbapi_conn.isolation_level = None

            @event.listens_for(engine, "begin")
            def _sqlite_begin(conn):
                # A write transaction takes the write lock first (waiting up to the timeout): one
                # that read first and then wrote would fail at once if another connection wrote
                # in between, and a delete could slip between the writer's read and its insert.
                conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("lb_write") else "BEGIN")
        self.write_engine = engine.execution_options(lb_write=True)
        try:
            version = self._schema_version(engine)
            if version != CURRENT_SCHEMA:
                with self.write_engine.begin() as conn:  # again under the write lock: another process may have
                    if url.get_backend_name() == "postgresql":  # created or migrated it meanwhile (PostgreSQL:
                        conn.execute(sql_text("SELECT pg_advisory_xact_lock(7416016)"))  # one replica at a time)
                    version = self._schema_version(conn)
                    self._upgrade(conn, version)
        except Exception:
            engine.dispose()
            raise
        return engine

    def _schema_version(self, bind) -> int | None:
        """The database's schema version; EMPTY for an empty database. Refuses a foreign or a newer one."""
        tables = set(inspect(bind).get_table_names())
        if "schema_version" not in tables:
            if tables:
                raise StoreError(f"Runs are not kept: {self.where} holds other tables and no LLMBreaker "
                                 "schema version. Point LLMBREAKER_DB_URL at a new file or an empty database.")
            return EMPTY
        if isinstance(bind, Engine):
            with bind.connect() as conn:
                version = conn.execute(select(func.max(SchemaVersion.version))).scalar()
        else:
            version = bind.execute(select(func.max(SchemaVersion.version))).scalar()
        if version is None or version > CURRENT_SCHEMA:
            raise StoreError(f"Runs are not kept: {self.where} was written by a newer LLMBreaker (schema "
                             f"{version}, this one reads {CURRENT_SCHEMA}). Update the app, or point "
                             "LLMBREAKER_DB_URL at another database.")
        return version

    def _upgrade(self, conn, version: int) -> None:
        if version == EMPTY:  # a new database
            Base.metadata.create_all(conn)
            conn.execute(SchemaVersion.__table__.insert().values(version=CURRENT_SCHEMA))
            return
        while version < CURRENT_SCHEMA:
            step = MIGRATIONS.get(version)
            if step is None:
                raise StoreError(f"Runs are not kept: {self.where} was written by an older LLMBreaker (schema "
                                 f"{version}) that this version cannot migrate. Move the file away (a new one "
                                 "is made) or point LLMBREAKER_DB_URL at another database.")
            step(conn)
            version += 1
            conn.execute(delete(SchemaVersion))
            conn.execute(SchemaVersion.__table__.insert().values(version=version))

    # -- writes: any thread enqueues, the writer thread writes -----------------------------------
    def _put(self, op: tuple) -> None:
        if not self.available:
            return
        try:
            self._q.put_nowait(op)
        except queue.Full:
            self._fail("it fell too far behind (the disk may be very slow)")
            return
        with self._lock:
            if self._thread is None and not self._closed:
                self._thread = threading.Thread(target=self._write_loop, name="run-store-writer", daemon=True)
                self._thread.start()

    def start_run(self, token: str, page: str, label: str, settings: dict, text: str, total_steps: int, *,
                  series: str = "", owner: str = "") -> None:
        """A new run. `series`: the token of the first run of the group its page shows together
        ("" or its own token: a run alone); `owner`: a hash of the browser that started it
        (browser_id.owner_id; "" unknown)."""
        self._put(("start", token, page, label, settings, text, total_steps, self.clock(), series or token,
                   owner or ""))

    def run_info(self, token: str, info: dict) -> None:
        self._put(("info", token, info))

    def add_losses(self, token: str, steps: list[int], losses: list[float]) -> None:
        """Kept in memory, not queued: they reach the database with the run's next checkpoint or its
        end, so ten loss chunks a second never wake the writer (measured: a few % of a trainer's
        speed on a busy 2-core machine)."""
        if not self.available:
            return
        with self._lock:
            pending = self._pending_losses.setdefault(token, ([], []))
            pending[0].extend(steps)
            pending[1].extend(losses)

    def add_checkpoint(self, token: str, checkpoint) -> None:
        """`checkpoint`: a trainer.Checkpoint; compressed on the writer thread, not here."""
        self._put(("checkpoint", token, checkpoint, self.clock()))

    def finish_run(self, token: str, state: str, seconds: float | None = None, message: str = "",
                   model_file: bytes | None = None) -> None:
        self._put(("finish", token, state, seconds, message, model_file, self.clock()))

    def flush(self, timeout: float = 30.0) -> bool:
        """Wait until everything queued so far is written (tests, shutdown). False on timeout."""
        if not self.available:
            return True
        done = threading.Event()
        self._put(("flush", done))
        return done.wait(timeout) or not self.available

    def _write_loop(self) -> None:
        while True:
            try:
                first = self._q.get(timeout=WRITER_IDLE_SECONDS)
            except queue.Empty:
                with self._lock:
                    if self._q.empty():  # idle: end, so a quiet server holds no thread of ours
                        self._thread = None
                        return
                continue
            batch = [first]
            while len(batch) < 500:
                try:
                    batch.append(self._q.get_nowait())
                except queue.Empty:
                    break
            closing = any(op is _CLOSE for op in batch)
            ops = [op for op in batch if op is not _CLOSE]
            if self.available and self.engine is not None:
                try:
                    with Session(self.write_engine) as s, s.begin():
                        caps = False
                        for op in ops:
                            caps |= self._apply(s, op)
                        if caps:
                            self._enforce_caps(s)
                except Exception as e:  # never into training: the store reports itself unavailable
                    self._fail(_describe(e))
            for op in ops:
                if op[0] == "flush":
                    op[1].set()
            if closing:
                with self._lock:
                    self._thread = None
                return

    def _apply(self, s: Session, op: tuple) -> bool:
        """One queued write. Returns True when the caps should be checked after it."""
        kind = op[0]
        if kind == "flush":
            return False
        if kind == "start":
            _, token, page, label, settings, text, total, now, series, owner = op
            blob = zlib.compress(text.encode("utf-8"), 1)  # level 1: 5x faster than 6 on Shakespeare, 17 % larger
            s.add(RunRow(token=token, series=series[:64], owner=owner[:64], title="", page=page[:32],
                         label=_clean(label[:300]), settings=json.dumps(_to_json(settings)),
                         text=b"", info="{}", created=now, updated=now, state="running", step=0,
                         total_steps=total, message="", size=len(blob)))
            s.flush()  # the run before its text (the text's foreign key)
            s.add(RunTextRow(token=token, text=blob))
            self._live[token] = {"steps": [], "losses": [], "size": len(blob), "written": now, "series": series}
            self._hold_series(series, +1)
            return True
        live = self._live.get(token := op[1])
        if kind in ("checkpoint", "finish"):
            with self._lock:
                steps, losses = self._pending_losses.pop(token, ((), ()))
        if live is None:
            return False  # started before the store could write, or already finished
        if kind in ("checkpoint", "finish"):
            live["steps"].extend(steps)
            live["losses"].extend(losses)
        # FOR UPDATE (PostgreSQL; SQLite's transaction already holds the write lock): a person's
        # delete waits until this transaction has written, or has happened and the run is gone.
        run = s.get(RunRow, token, with_for_update=True)
        if run is None:
            self._forget(token)  # removed meanwhile (by its person, or the caps)
            return False
        if kind == "info":
            run.info = json.dumps(_to_json(op[2]))
            if isinstance(op[2].get("total_steps"), int):  # a run fitted to its seconds (TrainConfig.fit_seconds)
                run.total_steps = op[2]["total_steps"]
        elif kind == "checkpoint":
            c, now = op[2], op[3]
            att = np.asarray(c.attention)
            att_blob = zlib.compress(att.astype(np.float16).tobytes(), 6)
            experts = json.dumps(_to_json(c.experts)) if c.experts is not None else None
            sample = _clean(c.sample)
            next_token = json.dumps([[ch, float(p)] for ch, p in c.next_token])
            s.add(CheckpointRow(run_token=token, step=int(c.step), train_loss=float(c.train_loss),
                                val_loss=float(c.val_loss), lr=float(c.lr), elapsed=float(c.elapsed), sample=sample,
                                next_token=next_token, attention=att_blob, attention_shape=json.dumps(list(att.shape)),
                                experts=experts))
            live["size"] += len(att_blob) + len(sample.encode()) + len(next_token) + len(experts or "")
            self._write_losses(run, live)
            run.step = max(run.step, int(c.step), int(live["steps"][-1]) if live["steps"] else 0)
            run.train_loss, run.val_loss, run.updated = float(c.train_loss), float(c.val_loss), now
        elif kind == "finish":
            _, _, state, seconds, message, model_file, now = op
            run.state, run.seconds, run.message, run.updated = state, seconds, _clean(message or ""), now
            run.model_file = model_file
            live["size"] += len(model_file or b"")
            self._write_losses(run, live)
            if live["steps"]:
                run.step = max(run.step, int(live["steps"][-1]))
            self._forget(token)
            return True
        return False

    def _hold_series(self, series: str, n: int) -> None:
        with self._lock:
            left = self._live_series.get(series, 0) + n
            if left > 0:
                self._live_series[series] = left
            else:
                self._live_series.pop(series, None)

    def _forget(self, token: str) -> None:
        live = self._live.pop(token, None)
        if live is not None:
            self._hold_series(live["series"], -1)

    @staticmethod
    def _write_losses(run: RunRow, live: dict) -> None:
        # The whole curve again (a few KB): simpler than appending, and one row holds it.
        blob = _pack_losses(live["steps"], live["losses"])
        run.losses = blob
        live["size"] += len(blob) - live.get("losses_size", 0)  # (not run.losses: a deferred load)
        live["losses_size"] = len(blob)
        run.size = live["size"]

    def _enforce_caps(self, s: Session, keep: tuple[str, ...] = ()) -> None:
        """Oldest first, a series (the runs a page shows together) at a time: series whose newest
        run is past the age limit, then the oldest series until the store is under its size cap.
        A series with a run this store is writing is never removed (it is the newest anyway), nor
        those in `keep` (an import being written)."""
        s.flush()
        with self._lock:
            keep = list(self._live_series) + list(keep)
        cutoff = self.clock() - self.max_age
        old = select(RunRow.series).group_by(RunRow.series).having(func.max(RunRow.created) < cutoff)
        if keep:
            old = old.where(RunRow.series.notin_(keep))
        self._delete_series(s, list(s.scalars(old)))
        total = s.scalar(select(func.coalesce(func.sum(RunRow.size), 0))) or 0
        if total <= self.max_bytes:
            return
        q = (select(RunRow.series, func.sum(RunRow.size)).group_by(RunRow.series)
             .order_by(func.max(RunRow.created), RunRow.series))
        if keep:
            q = q.where(RunRow.series.notin_(keep))
        gone = []
        for series, size in s.execute(q):
            if total <= self.max_bytes:
                break
            gone.append(series)
            total -= size or 0
        self._delete_series(s, gone)

    @staticmethod
    def _delete_series(s: Session, series: list[str], owner: str | None = None) -> int:
        """Remove every run of these series (of `owner` only, if given). Checkpoints first,
        explicitly: a database without foreign-key cascades keeps none behind. Returns runs removed."""
        removed = 0
        for i in range(0, len(series), 200):
            part = series[i:i + 200]
            runs = select(RunRow.token).where(RunRow.series.in_(part))
            if owner is not None:
                runs = runs.where(RunRow.owner == owner)
            s.execute(delete(CheckpointRow).where(CheckpointRow.run_token.in_(runs)))
            s.execute(delete(RunTextRow).where(RunTextRow.token.in_(runs)))
            gone = delete(RunRow).where(RunRow.series.in_(part))
            if owner is not None:
                gone = gone.where(RunRow.owner == owner)
            removed += s.execute(gone).rowcount or 0
        return removed

    def _fail(self, why: str) -> None:
        if not self.problem:
            self.problem = f"Runs are not kept: {why}."
        while True:  # what is queued will not be written: free it, and release anyone flushing
            try:
                op = self._q.get_nowait()
            except queue.Empty:
                break
            if op is not _CLOSE and op[0] == "flush":
                op[1].set()

    # -- reads -----------------------------------------------------------------------------------
    def _usable(self) -> None:
        if not self.available or self.engine is None:
            raise StoreError(self.problem or "Runs are not kept: the store is closed.")

    @staticmethod
    def _stored(s: Session, run: RunRow) -> StoredRun:
        rows = s.scalars(select(CheckpointRow).where(CheckpointRow.run_token == run.token)
                         .order_by(CheckpointRow.step, CheckpointRow.id)).all()
        steps, losses = _unpack_losses(run.losses)
        text = s.get(RunTextRow, run.token)
        checkpoints = [StoredCheckpoint(
            step=r.step, train_loss=r.train_loss, val_loss=r.val_loss, sample=r.sample,
            attention=np.frombuffer(zlib.decompress(r.attention), np.float16).astype(np.float32)
            .reshape(json.loads(r.attention_shape)),
            next_token=[(ch, p) for ch, p in json.loads(r.next_token)], lr=r.lr, elapsed=r.elapsed,
            experts=_from_json(json.loads(r.experts)) if r.experts else None) for r in rows]
        return StoredRun(token=run.token, page=run.page, label=run.label, settings=json.loads(run.settings),
                         text=zlib.decompress(text.text if text is not None else run.text).decode("utf-8"),
                         info=json.loads(run.info or "{}"),
                         created=run.created, updated=run.updated, state=run.state, step=run.step,
                         total_steps=run.total_steps, train_loss=run.train_loss, val_loss=run.val_loss,
                         seconds=run.seconds, message=run.message, steps=steps, losses=losses,
                         model_file=run.model_file, checkpoints=checkpoints, series=run.series or run.token,
                         owner=run.owner or "", title=run.title or "")

    def load_run(self, token: str) -> StoredRun | None:
        """The run with this token, or None (no such run: never was, removed, or a mistyped
        address). Raises StoreError when the database cannot be read."""
        self._usable()
        if not isinstance(token, str) or not TOKEN_RE.match(token):
            return None
        try:
            with Session(self.engine) as s:
                run = s.get(RunRow, token)
                return None if run is None else self._stored(s, run)
        except Exception as e:
            raise StoreError(f"This run cannot be read now: {_describe(e)}. Try again in a moment.") from e

    def load_series(self, series: str) -> list[StoredRun]:
        """Every run of this series (the runs a page shows together), oldest first; [] when there
        is none or the token is malformed. Raises StoreError when the database cannot be read."""
        self._usable()
        if not isinstance(series, str) or not TOKEN_RE.match(series):
            return []
        try:
            with Session(self.engine) as s:
                runs = s.scalars(select(RunRow).where(RunRow.series == series)
                                 .order_by(RunRow.created, RunRow.token)).all()
                # Its first run first even if a clock gave two runs the same second.
                runs = sorted(runs, key=lambda r: r.token != series)
                return [self._stored(s, run) for run in runs]
        except Exception as e:
            raise StoreError(f"These runs cannot be read now: {_describe(e)}. Try again in a moment.") from e

    def list_runs(self, owner: str, limit: int = 100) -> list[RunSummary]:
        """The series this owner started, newest first (by when their first run started): one row
        each, named by its first run, with its last run's state, steps and loss. [] for owner "".
        Raises StoreError (a message for a person) when the database cannot be read."""
        self._usable()
        if not owner or not isinstance(owner, str):
            return []
        try:
            with Session(self.engine) as s:
                heads = s.execute(
                    select(RunRow.series, func.min(RunRow.created).label("first")).where(RunRow.owner == owner)
                    .group_by(RunRow.series).order_by(func.min(RunRow.created).desc(), RunRow.series.desc())
                    .limit(max(0, int(limit)))).all()
                series = [h.series for h in heads]
                if not series:
                    return []
                cols = (RunRow.token, RunRow.series, RunRow.page, RunRow.label, RunRow.title, RunRow.created,
                        RunRow.updated, RunRow.state, RunRow.step, RunRow.total_steps, RunRow.val_loss, RunRow.size)
                members: dict[str, list] = {}
                for i in range(0, len(series), 200):
                    q = (select(*cols).where(RunRow.series.in_(series[i:i + 200]), RunRow.owner == owner)
                         .order_by(RunRow.created, RunRow.token))
                    for row in s.execute(q):
                        members.setdefault(row.series, []).append(row)
                for rows in members.values():
                    rows.sort(key=lambda r: r.token != r.series)  # stable: the series' first run first
                lasts = [rows[-1].token for rows in members.values()]
                newest = (select(func.max(CheckpointRow.id)).where(CheckpointRow.run_token.in_(lasts))
                          .group_by(CheckpointRow.run_token))
                samples = dict(s.execute(select(CheckpointRow.run_token, func.substr(CheckpointRow.sample, 1, 100))
                                         .where(CheckpointRow.id.in_(newest))).all())
        except Exception as e:
            raise StoreError(f"Your runs cannot be listed now: {_describe(e)}. Try again in a moment.") from e
        out = []
        for name in series:
            rows = members.get(name)
            if not rows:
                continue
            head, last = rows[0], rows[-1]
            out.append(RunSummary(token=head.token, page=head.page, label=head.label, title=head.title or "",
                                  created=head.created, updated=max(r.updated for r in rows), state=last.state,
                                  step=last.step, total_steps=last.total_steps, val_loss=last.val_loss,
                                  runs=len(rows), last_sample=samples.get(last.token, "") or "",
                                  size=sum(r.size or 0 for r in rows)))
        return out

    # -- a person's changes: direct writes on the caller's thread -------------------------------
    def _owned_series(self, s: Session, token: str, owner: str) -> str | None:
        if not owner or not isinstance(owner, str) or not isinstance(token, str) or not TOKEN_RE.match(token):
            return None
        row = s.execute(select(RunRow.series, RunRow.owner).where(RunRow.token == token)).first()
        if row is None or row.owner != owner:
            return None
        return row.series or token

    def rename(self, token: str, owner: str, title: str) -> bool:
        """Give the series of this run a title (stripped, at most 300 characters; "" clears it).
        False when no such run is this owner's. Raises StoreError when the database fails."""
        self._usable()
        title = " ".join(_clean(str(title or "")).split())[:MAX_TITLE].strip()
        try:
            with Session(self.write_engine) as s, s.begin():
                series = self._owned_series(s, token, owner)
                if series is None:
                    return False
                s.execute(update(RunRow).where(RunRow.series == series, RunRow.owner == owner).values(title=title))
                return True
        except Exception as e:
            raise StoreError(f"The run could not be renamed: {_describe(e)}. Try again in a moment.") from e

    def delete(self, token: str, owner: str) -> bool:
        """Remove this run's whole series (every run of it this owner started). False when no such
        run is this owner's. A run still training goes too: the writer finds it gone and stops
        writing it. Raises StoreError when the database fails."""
        self._usable()
        try:
            with Session(self.write_engine) as s, s.begin():
                series = self._owned_series(s, token, owner)
                if series is None:
                    return False
                # PostgreSQL: lock the rows first, so the writer (FOR UPDATE too) waits or finds them gone.
                s.execute(select(RunRow.token).where(RunRow.series == series, RunRow.owner == owner)
                          .with_for_update()).all()
                return self._delete_series(s, [series], owner) > 0
        except Exception as e:
            raise StoreError(f"The run could not be deleted: {_describe(e)}. Try again in a moment.") from e

    def export_run(self, token: str) -> bytes:
        """The whole series of this run as one .lbrun file (runfile.py). Raises StoreError."""
        from llmbreaker.engine.store.runfile import pack_series
        run = self.load_run(token)
        if run is None:
            raise StoreError("There is no run at this address (it was deleted, or removed when the store was full "
                             "or the run was old).")
        runs = self.load_series(run.series) or [run]
        return pack_series(runs)

    def import_run(self, data: bytes, owner: str) -> str:
        """A .lbrun file's runs written under new tokens (a new series) for `owner`; returns the new
        series' first token. Raises RunFileError (what is wrong with the file, in words) or
        StoreError (the store cannot take it now)."""
        from llmbreaker.engine.store.runfile import RunFileError, unpack_series
        self._usable()
        runs = unpack_series(data)
        now = self.clock()
        rows, texts, checkpoints, total = [], [], [], 0
        tokens = [new_token() for _ in runs]
        series = tokens[0]
        for i, (token, r) in enumerate(zip(tokens, runs)):
            created = now - (len(runs) - 1 - i) * 1e-3  # the import's time, in the file's order
            text_blob = zlib.compress(r.text.encode("utf-8"), 1)
            losses_blob = _pack_losses(r.steps, r.losses)
            size = len(text_blob) + len(losses_blob) + len(r.model_file or b"")
            for c in r.checkpoints:
                att = np.asarray(c.attention)
                att_blob = zlib.compress(att.astype(np.float16).tobytes(), 6)
                next_token = json.dumps([[ch, float(p)] for ch, p in c.next_token])
                experts = json.dumps(_to_json(c.experts)) if c.experts is not None else None
                size += len(att_blob) + len(c.sample.encode()) + len(next_token) + len(experts or "")
                checkpoints.append(dict(run_token=token, step=c.step, train_loss=c.train_loss, val_loss=c.val_loss,
                                        lr=c.lr, elapsed=c.elapsed, sample=_clean(c.sample), next_token=next_token,
                                        attention=att_blob, attention_shape=json.dumps(list(att.shape)),
                                        experts=experts))
            rows.append(dict(token=token, series=series, owner=(owner or "")[:64], title=_clean(r.title),
                             page=r.page, label=_clean(r.label), settings=json.dumps(_to_json(r.settings)),
                             text=b"", info=json.dumps(_to_json(r.info)), created=created,
                             updated=created, state="interrupted" if r.state == "running" else r.state,
                             step=r.step, total_steps=r.total_steps, train_loss=r.train_loss, val_loss=r.val_loss,
                             seconds=r.seconds, message=_clean(r.message), losses=losses_blob,
                             model_file=r.model_file, size=size))
            texts.append(dict(token=token, text=text_blob))
            total += size
        if total > self.max_bytes:
            raise RunFileError(f"This run file holds {total / 1e6:.1f} MB of runs, more than this server keeps "
                               f"({self.max_bytes / 1e6:.0f} MB in all). Export a shorter run.")
        try:
            with Session(self.write_engine) as s, s.begin():
                s.execute(RunRow.__table__.insert(), rows)
                s.execute(RunTextRow.__table__.insert(), texts)
                if checkpoints:
                    s.execute(CheckpointRow.__table__.insert(), checkpoints)
                self._enforce_caps(s, keep=(series,))
        except Exception as e:
            raise StoreError(f"The run could not be imported: {_describe(e)}. Try again in a moment.") from e
        return series

    def total_size(self) -> int:
        with Session(self.engine) as s:
            return int(s.scalar(select(func.coalesce(func.sum(RunRow.size), 0))) or 0)

    def tokens(self) -> list[str]:
        """Every run's token, oldest first: for tests and maintenance, never shown to people."""
        with Session(self.engine) as s:
            return list(s.scalars(select(RunRow.token).order_by(RunRow.created, RunRow.token)))

    # -- shutdown ---------------------------------------------------------------------------------
    def close(self, timeout: float = 10.0) -> None:
        """Write what is queued, end the writer thread, release the database."""
        with self._lock:
            if self._closed:
                return
            thread = self._thread
        if thread is not None:
            try:
                self._q.put(_CLOSE, timeout=timeout)
            except queue.Full:
                pass
            thread.join(timeout)
        with self._lock:
            self._closed = True
        if self.engine is not None:
            self.engine.dispose()
        _OPEN_STORES.discard(self)


_OPEN_STORES: set[RunStore] = set()
_DEFAULT: dict[str, RunStore] = {}
_DEFAULT_LOCK = threading.Lock()


def default_store() -> RunStore:
    """The process's store for the configured URL (LLMBREAKER_DB_URL, else data/llmbreaker.db),
    opened on first use. A new URL (tests point each at a temporary file) opens a new one."""
    key = os.environ.get("LLMBREAKER_DB_URL", "")
    with _DEFAULT_LOCK:
        store = _DEFAULT.get(key)
        if store is None or store._closed:
            store = _DEFAULT[key] = RunStore()
        return store


@atexit.register
def _close_all() -> None:
    """Server shutdown: write what is queued and end every writer thread. Registered before the
    session manager's own exit handler (session.py imports this module), so it runs after it and
    also writes the runs that handler stops."""
    for store in list(_OPEN_STORES):
        store.close()
