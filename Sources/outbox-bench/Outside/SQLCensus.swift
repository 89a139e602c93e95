import Foundation

/// `--sql-census`: what the worker asks of SQLite, counted from SQLite's side without touching
/// the worker. A small C library, compiled at run time with `cc` and loaded into the worker with
/// `LD_PRELOAD`, wraps `sqlite3_step`, `sqlite3_prepare_v2/v3` and `sqlite3_exec` of the system
/// libsqlite3 the worker links. Each statement execution (a first step after prepare or reset) is
/// counted by its first keyword, with the thread CPU time spent inside `sqlite3_step` (the
/// commit's WAL write included). Counters live in a small file the library maps shared, so the
/// benchmark reads them at any moment (before and after the drain window).
struct SQLCensus {
    /// Statement classes, in the order of the counters in the file.
    static let classes = [
        "BEGIN DEFERRED", "BEGIN IMMEDIATE", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "SELECT", "INSERT",
        "UPDATE", "DELETE", "PRAGMA", "WITH", "other",
    ]

    static let source = #"""
        #define _GNU_SOURCE
        #include <dlfcn.h>
        #include <fcntl.h>
        #include <stdint.h>
        #include <stdlib.h>
        #include <string.h>
        #include <strings.h>
        #include <sys/mman.h>
        #include <time.h>
        #include <unistd.h>

        typedef struct sqlite3 sqlite3;
        typedef struct sqlite3_stmt sqlite3_stmt;

        /* Layout shared with SQLCensus.swift: 13 classes x {executions, step calls, step ns},
           then prepares, prepare ns, exec calls; then per statement text (whitespace collapsed),
           SLOTS slots of {hash, executions, step ns, prepares, prepare ns, first 120 bytes}. */
        #define CLASSES 13
        #define SLOTS 128
        #define TEXT 120
        typedef struct { uint64_t hash, runs, nanos, prepares, prepare_nanos; char text[TEXT]; } slot_t;
        typedef struct {
            uint64_t runs[CLASSES], steps[CLASSES], nanos[CLASSES], prepares, prepare_nanos, execs;
            slot_t slots[SLOTS];
        } census_t;
        static census_t *census;
        static census_t fallback;

        static int (*real_step)(sqlite3_stmt *);
        static int (*real_busy)(sqlite3_stmt *);
        static const char *(*real_sql)(sqlite3_stmt *);
        static int (*real_prepare_v2)(sqlite3 *, const char *, int, sqlite3_stmt **, const char **);
        static int (*real_prepare_v3)(sqlite3 *, const char *, int, unsigned int, sqlite3_stmt **, const char **);
        static int (*real_exec)(sqlite3 *, const char *, int (*)(void *, int, char **, char **), void *, char **);

        __attribute__((constructor)) static void census_open(void) {
            census = &fallback;
            const char *path = getenv("OUTBOX_SQL_CENSUS");
            if (!path) return;
            int fd = open(path, O_RDWR);
            if (fd < 0) return;
            void *map = mmap(0, sizeof(census_t), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
            close(fd);
            if (map != MAP_FAILED) census = map;
        }

        static uint64_t thread_nanos(void) {
            struct timespec t;
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
            return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
        }

        static int classify(const char *sql) {
            static const char *names[] = {"BEGIN DEFERRED", "BEGIN IMMEDIATE", "COMMIT", "ROLLBACK", "SAVEPOINT",
                                          "RELEASE", "SELECT", "INSERT", "UPDATE", "DELETE", "PRAGMA", "WITH"};
            if (!sql) return CLASSES - 1;
            while (*sql == ' ' || *sql == '\n' || *sql == '\t') sql++;
            if (strncasecmp(sql, "BEGIN", 5) == 0) {
                return strncasecmp(sql, "BEGIN IMMEDIATE", 15) == 0 || strncasecmp(sql, "BEGIN EXCLUSIVE", 15) == 0 ? 1 : 0;
            }
            if (strncasecmp(sql, "END", 3) == 0) return 2;
            for (int i = 2; i < CLASSES - 1; i++) {
                if (strncasecmp(sql, names[i], strlen(names[i])) == 0) return i;
            }
            return CLASSES - 1;
        }

        /* The slot of a statement text: FNV-1a of its first 400 bytes with whitespace runs collapsed. */
        static slot_t *slot_for(const char *sql) {
            if (!sql) return 0;
            char text[TEXT];
            uint64_t h = 1469598103934665603ull;
            int n = 0, space = 1;
            for (int i = 0; sql[i] && i < 400; i++) {
                char c = sql[i];
                if (c == ' ' || c == '\n' || c == '\t' || c == '\r') {
                    if (space) continue;
                    space = 1;
                    c = ' ';
                } else {
                    space = 0;
                }
                h = (h ^ (unsigned char)c) * 1099511628211ull;
                if (n < TEXT - 1) text[n++] = c;
            }
            text[n] = 0;
            if (h == 0) h = 1;
            for (int i = 0; i < SLOTS; i++) {
                slot_t *slot = &census->slots[(h + i) % SLOTS];
                uint64_t seen = __atomic_load_n(&slot->hash, __ATOMIC_ACQUIRE);
                if (seen == h) return slot;
                if (seen == 0) {
                    uint64_t expected = 0;
                    if (__atomic_compare_exchange_n(&slot->hash, &expected, h, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
                        memcpy(slot->text, text, n + 1);
                        return slot;
                    }
                    if (expected == h) return slot;
                }
            }
            return 0;
        }

        static __thread sqlite3_stmt *last_stmt;
        static __thread slot_t *last_slot;

        int sqlite3_step(sqlite3_stmt *stmt) {
            if (!real_step) {
                real_step = dlsym(RTLD_NEXT, "sqlite3_step");
                real_busy = dlsym(RTLD_NEXT, "sqlite3_stmt_busy");
                real_sql = dlsym(RTLD_NEXT, "sqlite3_sql");
            }
            const char *sql = real_sql(stmt);
            int k = classify(sql);
            int fresh = !real_busy(stmt);
            if (fresh || stmt != last_stmt) {
                last_stmt = stmt;
                last_slot = slot_for(sql);
            }
            slot_t *slot = last_slot;
            uint64_t start = thread_nanos();
            int rc = real_step(stmt);
            uint64_t spent = thread_nanos() - start;
            __atomic_add_fetch(&census->nanos[k], spent, __ATOMIC_RELAXED);
            __atomic_add_fetch(&census->steps[k], 1, __ATOMIC_RELAXED);
            if (fresh) __atomic_add_fetch(&census->runs[k], 1, __ATOMIC_RELAXED);
            if (slot) {
                __atomic_add_fetch(&slot->nanos, spent, __ATOMIC_RELAXED);
                if (fresh) __atomic_add_fetch(&slot->runs, 1, __ATOMIC_RELAXED);
            }
            return rc;
        }

        static void count_prepare(sqlite3_stmt **stmt, uint64_t spent) {
            __atomic_add_fetch(&census->prepare_nanos, spent, __ATOMIC_RELAXED);
            __atomic_add_fetch(&census->prepares, 1, __ATOMIC_RELAXED);
            if (!real_sql) real_sql = dlsym(RTLD_NEXT, "sqlite3_sql");
            slot_t *slot = stmt && *stmt ? slot_for(real_sql(*stmt)) : 0;
            if (slot) {
                __atomic_add_fetch(&slot->prepare_nanos, spent, __ATOMIC_RELAXED);
                __atomic_add_fetch(&slot->prepares, 1, __ATOMIC_RELAXED);
            }
        }

        int sqlite3_prepare_v2(sqlite3 *db, const char *sql, int n, sqlite3_stmt **stmt, const char **tail) {
            if (!real_prepare_v2) real_prepare_v2 = dlsym(RTLD_NEXT, "sqlite3_prepare_v2");
            uint64_t start = thread_nanos();
            int rc = real_prepare_v2(db, sql, n, stmt, tail);
            count_prepare(stmt, thread_nanos() - start);
            return rc;
        }

        int sqlite3_prepare_v3(sqlite3 *db, const char *sql, int n, unsigned int flags, sqlite3_stmt **stmt,
                               const char **tail) {
            if (!real_prepare_v3) real_prepare_v3 = dlsym(RTLD_NEXT, "sqlite3_prepare_v3");
            uint64_t start = thread_nanos();
            int rc = real_prepare_v3(db, sql, n, flags, stmt, tail);
            count_prepare(stmt, thread_nanos() - start);
            return rc;
        }

        int sqlite3_exec(sqlite3 *db, const char *sql, int (*cb)(void *, int, char **, char **), void *arg, char **err) {
            if (!real_exec) real_exec = dlsym(RTLD_NEXT, "sqlite3_exec");
            __atomic_add_fetch(&census->execs, 1, __ATOMIC_RELAXED);
            return real_exec(db, sql, cb, arg, err);
        }
        """#

    static let slots = 128
    static let textBytes = 120
    static var slotBytes: Int { 5 * 8 + textBytes }
    static var fileBytes: Int { classes.count * 3 * 8 + 3 * 8 + slots * slotBytes }

    /// One statement text's counters.
    struct Statement {
        var text: String
        var runs: UInt64
        var nanos: UInt64
        var prepares: UInt64
        var prepareNanos: UInt64
    }

    /// One reading of the counters.
    struct Reading {
        var runs: [UInt64]
        var steps: [UInt64]
        var nanos: [UInt64]
        var prepares: UInt64
        var prepareNanos: UInt64
        var execs: UInt64
        var statements: [String: Statement]

        static func - (a: Reading, b: Reading) -> Reading {
            var statements = a.statements
            for (text, old) in b.statements {
                guard var new = statements[text] else { continue }
                new.runs &-= old.runs
                new.nanos &-= old.nanos
                new.prepares &-= old.prepares
                new.prepareNanos &-= old.prepareNanos
                statements[text] = new
            }
            return Reading(
                runs: zip(a.runs, b.runs).map { $0 &- $1 }, steps: zip(a.steps, b.steps).map { $0 &- $1 },
                nanos: zip(a.nanos, b.nanos).map { $0 &- $1 }, prepares: a.prepares &- b.prepares,
                prepareNanos: a.prepareNanos &- b.prepareNanos, execs: a.execs &- b.execs, statements: statements)
        }
    }

    let library: String
    let counters: String

    /// Compiles the library into `directory`; nil (with the reason) when no C compiler works.
    static func build(in directory: String) async -> Result<SQLCensus, OutsideError> {
        let source = "\(directory)/sqlcensus.c"
        let library = "\(directory)/sqlcensus.so"
        let counters = "\(directory)/sqlcensus.bin"
        do {
            try Self.source.write(toFile: source, atomically: true, encoding: .utf8)
            FileManager.default.createFile(atPath: counters, contents: Data(count: fileBytes))
            _ = try await runToCompletion(
                name: "cc-sqlcensus", executable: "/usr/bin/env",
                arguments: ["cc", "-O2", "-shared", "-fPIC", "-o", library, source, "-ldl"], directory: directory,
                timeout: .seconds(120))
            return .success(SQLCensus(library: library, counters: counters))
        } catch {
            return .failure(OutsideError("could not build the SQL census library: \(error)"))
        }
    }

    /// Environment for the worker: preload the library, name the counters file.
    var environment: [String: String] { ["LD_PRELOAD": library, "OUTBOX_SQL_CENSUS": counters] }

    /// Zeroes the counters.
    func reset() {
        if let handle = FileHandle(forWritingAtPath: counters) {
            handle.write(Data(count: Self.fileBytes))
            try? handle.close()
        }
    }

    func read() -> Reading? {
        guard let data = FileManager.default.contents(atPath: counters), data.count >= Self.fileBytes else { return nil }
        let n = Self.classes.count
        func word(_ offset: Int) -> UInt64 {
            data.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: UInt64.self) }
        }
        let words = (0..<(3 * n + 3)).map { word($0 * 8) }
        var statements: [String: Statement] = [:]
        let base = (3 * n + 3) * 8
        for index in 0..<Self.slots {
            let offset = base + index * Self.slotBytes
            guard word(offset) != 0 else { continue }
            let textStart = offset + 5 * 8
            let bytes = data[textStart..<(textStart + Self.textBytes)].prefix { $0 != 0 }
            let text = String(decoding: bytes, as: UTF8.self)
            statements[text] = Statement(
                text: text, runs: word(offset + 8), nanos: word(offset + 16), prepares: word(offset + 24),
                prepareNanos: word(offset + 32))
        }
        return Reading(
            runs: Array(words[0..<n]), steps: Array(words[n..<2 * n]), nanos: Array(words[2 * n..<3 * n]),
            prepares: words[3 * n], prepareNanos: words[3 * n + 1], execs: words[3 * n + 2], statements: statements)
    }
}
