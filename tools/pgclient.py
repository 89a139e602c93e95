"""PostgreSQL for the tools, with the Python standard library only: libpq through ctypes (values
bound as parameters), and a throwaway cluster from Debian's packages. Shared by
tools/pg-contract-check.py and tools/chaos.py --postgres."""
from __future__ import annotations

import ctypes
import ctypes.util
import glob
import os
import shutil
import subprocess


class NotUtf8(bytes):
    """TEXT whose bytes are not UTF-8 (SQLite: CAST(? AS TEXT) of a BLOB)."""


class PGError(Exception):
    def __init__(self, sqlstate, message):
        super().__init__("%s %s" % (sqlstate, message))
        self.sqlstate, self.message = sqlstate, message


class LibPQ:
    OK, COMMAND_OK, TUPLES_OK = 0, 1, 2

    def __init__(self):
        path = ctypes.util.find_library("pq") or "libpq.so.5"
        lib = ctypes.CDLL(path)
        c = ctypes
        sig = {
            "PQconnectdbParams": (c.c_void_p, [c.POINTER(c.c_char_p), c.POINTER(c.c_char_p), c.c_int]),
            "PQstatus": (c.c_int, [c.c_void_p]),
            "PQerrorMessage": (c.c_char_p, [c.c_void_p]),
            "PQexec": (c.c_void_p, [c.c_void_p, c.c_char_p]),
            "PQexecParams": (c.c_void_p, [c.c_void_p, c.c_char_p, c.c_int, c.POINTER(c.c_uint),
                                          c.POINTER(c.c_char_p), c.POINTER(c.c_int), c.POINTER(c.c_int), c.c_int]),
            "PQsendQueryParams": (c.c_int, [c.c_void_p, c.c_char_p, c.c_int, c.POINTER(c.c_uint),
                                            c.POINTER(c.c_char_p), c.POINTER(c.c_int), c.POINTER(c.c_int), c.c_int]),
            "PQgetResult": (c.c_void_p, [c.c_void_p]),
            "PQresultStatus": (c.c_int, [c.c_void_p]),
            "PQresultErrorField": (c.c_char_p, [c.c_void_p, c.c_int]),
            "PQresultErrorMessage": (c.c_char_p, [c.c_void_p]),
            "PQcmdTuples": (c.c_char_p, [c.c_void_p]),
            "PQntuples": (c.c_int, [c.c_void_p]),
            "PQnfields": (c.c_int, [c.c_void_p]),
            "PQgetvalue": (c.c_void_p, [c.c_void_p, c.c_int, c.c_int]),
            "PQgetlength": (c.c_int, [c.c_void_p, c.c_int, c.c_int]),
            "PQgetisnull": (c.c_int, [c.c_void_p, c.c_int, c.c_int]),
            "PQftype": (c.c_uint, [c.c_void_p, c.c_int]),
            "PQfname": (c.c_char_p, [c.c_void_p, c.c_int]),
            "PQclear": (None, [c.c_void_p]),
            "PQfinish": (None, [c.c_void_p]),
            "PQsetNoticeProcessor": (c.c_void_p, [c.c_void_p, c.c_void_p, c.c_void_p]),
        }
        for name, (restype, argtypes) in sig.items():
            fn = getattr(lib, name)
            fn.restype, fn.argtypes = restype, argtypes
        self.lib = lib
        self._quiet = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_char_p)(lambda arg, msg: None)


class PG:
    """One connection. `dsn` is a libpq connection string or URI ('' = PG* variables)."""

    def __init__(self, libpq: LibPQ, dsn: str, dbname: str | None = None, typed: bool = False):
        """`typed`: integer columns come back as int, booleans as bool (else every value is text)."""
        self.pq, lib = libpq, libpq.lib
        self.typed = typed
        self.columns: list[str] = []
        keys = [b"dbname"] + ([b"dbname"] if dbname else []) + [None]
        values = [dsn.encode()] + ([dbname.encode()] if dbname else []) + [None]
        k = (ctypes.c_char_p * len(keys))(*keys)
        v = (ctypes.c_char_p * len(values))(*values)
        self.conn = lib.PQconnectdbParams(k, v, 1)
        if lib.PQstatus(self.conn) != LibPQ.OK:
            message = lib.PQerrorMessage(self.conn).decode(errors="replace").strip()
            lib.PQfinish(self.conn)
            raise PGError("08000", message)
        lib.PQsetNoticeProcessor(self.conn, ctypes.cast(libpq._quiet, ctypes.c_void_p), None)

    def close(self):
        self.pq.lib.PQfinish(self.conn)

    @staticmethod
    def _params(params, typed_text):
        n = len(params)
        types = (ctypes.c_uint * max(n, 1))()
        values = (ctypes.c_char_p * max(n, 1))()
        for i, value in enumerate(params):
            if value is None:
                types[i], values[i] = 0, None
            elif isinstance(value, bool):
                raise TypeError("bool")
            elif isinstance(value, int):
                types[i], values[i] = 20, str(value).encode()  # int8
            elif isinstance(value, float):
                types[i], values[i] = 701, repr(value).encode()  # float8
            elif isinstance(value, NotUtf8):
                if b"\x00" in value:  # a C string would end there: send nothing rather than a cut value
                    raise PGError("client", "a text parameter holds a NUL character (PostgreSQL text cannot)")
                types[i], values[i] = (25 if typed_text else 0), bytes(value)
            elif isinstance(value, bytes):
                types[i], values[i] = 17, b"\\x" + value.hex().encode()  # bytea
            else:
                if "\x00" in value:
                    raise PGError("client", "a text parameter holds a NUL character (PostgreSQL text cannot)")
                types[i], values[i] = (25 if typed_text else 0), value.encode()  # text / unknown
        return n, types, values

    def _result(self, res):
        lib = self.pq.lib
        try:
            status = lib.PQresultStatus(res)
            if status not in (LibPQ.COMMAND_OK, LibPQ.TUPLES_OK):
                state = lib.PQresultErrorField(res, ord("C"))
                message = lib.PQresultErrorField(res, ord("M"))
                if message is None:
                    message = lib.PQresultErrorMessage(res) or lib.PQerrorMessage(self.conn)
                raise PGError((state or b"?????").decode(), message.decode(errors="replace").strip())
            rows = []
            fields = lib.PQnfields(res)
            self.columns = [lib.PQfname(res, f).decode() for f in range(fields)]
            types = [lib.PQftype(res, f) for f in range(fields)]
            for r in range(lib.PQntuples(res)):
                row = []
                for f in range(fields):
                    if lib.PQgetisnull(res, r, f):
                        row.append(None)
                    else:
                        ptr, size = lib.PQgetvalue(res, r, f), lib.PQgetlength(res, r, f)
                        text = ctypes.string_at(ptr, size).decode()
                        if self.typed and types[f] in (20, 21, 23):  # int8, int2, int4
                            row.append(int(text))
                        elif self.typed and types[f] == 16:  # bool
                            row.append(text == "t")
                        else:
                            row.append(text)
                rows.append(row)
            tuples = lib.PQcmdTuples(res).decode()
            return rows, int(tuples) if tuples else None
        finally:
            lib.PQclear(res)

    def execute(self, sql, params=(), typed_text=False):
        """Runs one statement with parameters; returns (rows, affected) or raises PGError."""
        n, types, values = self._params(params, typed_text)
        res = self.pq.lib.PQexecParams(self.conn, sql.encode(), n, types, values, None, None, 0)
        return self._result(res)

    def script(self, sql):
        """Runs several statements in one implicit transaction (the simple query protocol)."""
        self._result(self.pq.lib.PQexec(self.conn, sql.encode()))

    def send(self, sql, params=(), typed_text=False):
        n, types, values = self._params(params, typed_text)
        if not self.pq.lib.PQsendQueryParams(self.conn, sql.encode(), n, types, values, None, None, 0):
            raise PGError("client", self.pq.lib.PQerrorMessage(self.conn).decode())

    def receive(self):
        """The result of a send(): blocks until the server answers."""
        lib, outcome, error = self.pq.lib, None, None
        while True:
            res = lib.PQgetResult(self.conn)
            if not res:
                break
            try:
                outcome = self._result(res)
            except PGError as e:
                error = e
        if error:
            raise error
        return outcome


def start_cluster(port, name="pg-contract-check"):
    """A throwaway cluster on a Unix socket only; returns (libpq DSN, stop, socket dir)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda path: int(path.split("/")[4]))
    if not found:
        raise RuntimeError("no PostgreSQL server binaries under /usr/lib/postgresql (apt-get install postgresql)")
    bindir = os.path.dirname(found[-1])
    data, sock = "/tmp/%s-data-%d" % (name, os.getpid()), "/tmp/%s-sock-%d" % (name, os.getpid())
    os.makedirs(sock, exist_ok=True)
    prefix = []
    if os.geteuid() == 0:
        shutil.chown(sock, "postgres")
        prefix = ["runuser", "-u", "postgres", "--"]
    subprocess.run(prefix + [bindir + "/initdb", "-D", data, "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8", "-U", "postgres"],
                   check=True, stdout=subprocess.DEVNULL)
    subprocess.run(prefix + [bindir + "/pg_ctl", "-D", data, "-l", data + ".log", "-w", "-o",
                             "-k %s -p %d -c listen_addresses=''" % (sock, port), "start"], check=True, stdout=subprocess.DEVNULL)

    def stop():
        subprocess.run(prefix + [bindir + "/pg_ctl", "-D", data, "-m", "fast", "stop"], stdout=subprocess.DEVNULL)
        shutil.rmtree(data, ignore_errors=True)
        shutil.rmtree(sock, ignore_errors=True)
        if os.path.exists(data + ".log"):
            os.remove(data + ".log")
    return "host=%s port=%d user=postgres dbname=postgres" % (sock, port), stop, sock
