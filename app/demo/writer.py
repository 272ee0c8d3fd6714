"""Bulk writes for the demo: rows as tuples, inserted with Core executemany in chunks.

Per-row ORM objects would take hours at a million calls; a Core ``insert()`` with a list of
parameter sets becomes one multi-row statement per chunk on MariaDB and a plain
``executemany`` on SQLite. Ids are assigned here (continuing after the table's largest id) so
that rows of other tables can point at them before anything is written.
"""
from flask_appbuilder import Model
from sqlalchemy import func, select


class Buffer:
    """Pending rows of one table; ``append`` takes a tuple in ``columns`` order."""

    def __init__(self, table, columns: tuple[str, ...], first_id: int):
        self.table = table
        self.columns = columns
        self.rows: list[tuple] = []
        self.append = self.rows.append
        self._next_id = first_id

    def new_id(self) -> int:
        value = self._next_id
        self._next_id += 1
        return value


class BulkWriter:
    """Buffers rows per table and writes them all, parents first, in one transaction per flush."""

    def __init__(self, engine, chunk_size: int = 5000):
        self.engine = engine
        self.chunk_size = chunk_size
        self.buffers: dict[str, Buffer] = {}
        self.written: dict[str, int] = {}
        self._order = {table.name: i for i, table in enumerate(Model.metadata.sorted_tables)}

    def table(self, model_or_table, columns: str) -> Buffer:
        table = getattr(model_or_table, "__table__", model_or_table)
        if table.name not in self.buffers:
            first_id = 1
            if "id" in table.c:
                with self.engine.connect() as conn:
                    first_id = (conn.execute(select(func.max(table.c.id))).scalar() or 0) + 1
            self.buffers[table.name] = Buffer(table, tuple(columns.split()), first_id)
        return self.buffers[table.name]

    def pending(self) -> int:
        return sum(len(buffer.rows) for buffer in self.buffers.values())

    def flush(self) -> None:
        buffers = sorted((b for b in self.buffers.values() if b.rows),
                         key=lambda b: self._order[b.table.name])
        if not buffers:
            return
        with self.engine.begin() as conn:
            for buffer in buffers:
                insert = buffer.table.insert()
                columns = buffer.columns
                rows = buffer.rows
                for start in range(0, len(rows), self.chunk_size):
                    conn.execute(insert, [dict(zip(columns, row))
                                          for row in rows[start:start + self.chunk_size]])
                self.written[buffer.table.name] = self.written.get(buffer.table.name, 0) + len(rows)
                rows.clear()

    @property
    def total_written(self) -> int:
        return sum(self.written.values())
