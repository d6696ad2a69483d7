package cmdb;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.Collections;

import org.neo4j.configuration.GraphDatabaseInternalSettings;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.SettingValueParsers;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.HttpConnector;
import org.neo4j.configuration.connectors.HttpsConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.graphdb.GraphDatabaseService;

/**
 * Launcher for an embedded Neo4j Community DBMS that only exposes Bolt on 127.0.0.1.
 *
 * <p>Usage: {@code java -cp embedded-neo4j.jar:lib/* cmdb.EmbeddedNeo4j --data-dir DIR --bolt-port PORT
 * [--pagecache 512m] [--tx-timeout 60s] [--start-timeout 120s] [--no-stdin-watch]}
 *
 * <p>Protocol on stdout (nothing else is ever written there; library noise is redirected to stderr):
 *
 * <ul>
 *   <li>{@code NEO4J_READY bolt://127.0.0.1:<port>} once the default database is available;
 *   <li>{@code NEO4J_FAILED <message>} followed by exit code 1 if startup fails.
 * </ul>
 *
 * <p>Orphan prevention: unless {@code --no-stdin-watch} is given, a daemon thread reads stdin until EOF. EOF
 * means the parent process closed the pipe or died; the JVM then exits with status 0 and the shutdown hook
 * stops the DBMS cleanly. SIGTERM/SIGINT take the same shutdown-hook path.
 *
 * <p>Layout under the data dir (= Neo4j home): {@code data/databases}, {@code data/transactions},
 * {@code logs/debug.log}, {@code logs/query.log}.
 */
public final class EmbeddedNeo4j {

    private static final String DEFAULT_DB = GraphDatabaseSettings.DEFAULT_DATABASE_NAME;

    /** The real stdout, reserved for the READY/FAILED protocol lines. */
    private static final PrintStream PROTOCOL_OUT =
            new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true, StandardCharsets.UTF_8);

    private static final Object LOCK = new Object();
    private static DatabaseManagementService service; // guarded by LOCK
    private static boolean shutDown; // guarded by LOCK

    private EmbeddedNeo4j() {}

    private static final class Options {
        Path dataDir;
        int boltPort = -1;
        String pagecache = "512m";
        String txTimeout = "60s";
        String startTimeout = "120s";
        boolean stdinWatch = true;
    }

    public static void main(String[] args) {
        // Everything a library prints on System.out goes to stderr instead, so the parent only ever sees
        // protocol lines on stdout.
        System.setOut(System.err);

        Options opts;
        try {
            opts = parseArgs(args);
        } catch (IllegalArgumentException e) {
            fail("invalid arguments: " + e.getMessage()
                    + " (usage: --data-dir <dir> --bolt-port <port> [--pagecache 512m] [--tx-timeout 60s]"
                    + " [--start-timeout 120s] [--no-stdin-watch])");
            return;
        }

        Runtime.getRuntime().addShutdownHook(new Thread(EmbeddedNeo4j::shutdown, "neo4j-shutdown-hook"));
        if (opts.stdinWatch) {
            startStdinWatcher();
        }

        try {
            run(opts);
        } catch (Throwable t) {
            shutdown();
            fail(describe(t, opts));
        }
    }

    private static void run(Options opts) throws Exception {
        Path home = opts.dataDir.toAbsolutePath().normalize();
        Files.createDirectories(home);
        Path logs = home.resolve("logs");
        Files.createDirectories(logs);

        long pagecacheBytes = SettingValueParsers.BYTES.parse(opts.pagecache);
        Duration txTimeout = SettingValueParsers.DURATION.parse(opts.txTimeout);
        Duration startTimeout = SettingValueParsers.DURATION.parse(opts.startTimeout);

        // Fail fast with a clear message instead of a deep Netty stack trace.
        checkPortFree(opts.boltPort);

        DatabaseManagementServiceBuilder builder = new DatabaseManagementServiceBuilder(home)
                .setConfig(BoltConnector.enabled, true)
                .setConfig(BoltConnector.listen_address, new SocketAddress("127.0.0.1", opts.boltPort))
                .setConfig(BoltConnector.advertised_address, new SocketAddress("127.0.0.1", opts.boltPort))
                .setConfig(HttpConnector.enabled, false)
                .setConfig(HttpsConnector.enabled, false)
                .setConfig(GraphDatabaseSettings.default_listen_address, new SocketAddress("127.0.0.1"))
                // Loopback only, single-tenant sidecar: no auth.
                .setConfig(GraphDatabaseSettings.auth_enabled, false)
                .setConfig(GraphDatabaseSettings.pagecache_memory, pagecacheBytes)
                .setConfig(GraphDatabaseSettings.transaction_timeout, txTimeout)
                .setConfig(GraphDatabaseSettings.logs_directory, logs)
                .setConfig(GraphDatabaseSettings.udc_enabled, false)
                // Netty's default 5 s quiet period is spent twice on every shutdown (~10 s of idle waiting
                // after the stores are already checkpointed). Bolt connections are closed by then.
                .setConfig(GraphDatabaseInternalSettings.netty_server_shutdown_quiet_period, 1)
                .setConfig(GraphDatabaseInternalSettings.netty_server_shutdown_timeout, Duration.ofSeconds(5));

        DatabaseManagementService dbms = builder.build();
        synchronized (LOCK) {
            if (shutDown) {
                // EOF/signal arrived while we were starting: do not leave it running.
                dbms.shutdown();
                return;
            }
            service = dbms;
        }

        GraphDatabaseService db = dbms.database(DEFAULT_DB);
        if (!db.isAvailable(startTimeout.toMillis())) {
            throw new IllegalStateException(
                    "database '" + DEFAULT_DB + "' did not become available within " + opts.startTimeout
                            + databaseStatus(dbms) + " (see " + logs.resolve("debug.log") + ")");
        }

        PROTOCOL_OUT.println("NEO4J_READY bolt://127.0.0.1:" + opts.boltPort);
        PROTOCOL_OUT.flush();
        // main returns; Neo4j's non-daemon threads keep the JVM alive until shutdown.
    }

    private static void checkPortFree(int port) {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress("127.0.0.1", port));
        } catch (IOException e) {
            throw new PortInUseException(port, e);
        }
    }

    private static final class PortInUseException extends RuntimeException {
        PortInUseException(int port, Throwable cause) {
            super("bolt port 127.0.0.1:" + port + " is already in use (" + cause.getMessage() + ")", cause);
        }
    }

    /** Best-effort status of the default database from the system database (SHOW DATABASES). */
    private static String databaseStatus(DatabaseManagementService dbms) {
        try {
            GraphDatabaseService system = dbms.database(GraphDatabaseSettings.SYSTEM_DATABASE_NAME);
            String status = system.executeTransactionally(
                    "SHOW DATABASE $name YIELD currentStatus, statusMessage RETURN currentStatus, statusMessage",
                    Map.of("name", DEFAULT_DB),
                    result -> {
                        if (!result.hasNext()) return null;
                        Map<String, Object> row = result.next();
                        return row.get("currentStatus") + ": " + row.get("statusMessage");
                    });
            return status == null ? "" : " [" + status + "]";
        } catch (Throwable t) {
            return "";
        }
    }

    private static void startStdinWatcher() {
        Thread t = new Thread(
                () -> {
                    InputStream in = System.in;
                    byte[] buf = new byte[256];
                    try {
                        while (in.read(buf) >= 0) {
                            // ignore input; we only care about EOF
                        }
                    } catch (IOException ignored) {
                        // treat a broken pipe like EOF
                    }
                    System.err.println("EmbeddedNeo4j: stdin closed (stop requested or parent process gone), exiting");
                    // The shutdown hook performs the clean DBMS shutdown.
                    System.exit(0);
                },
                "neo4j-stdin-watch");
        t.setDaemon(true);
        t.start();
    }

    private static void shutdown() {
        DatabaseManagementService toStop;
        synchronized (LOCK) {
            if (shutDown) return;
            shutDown = true;
            toStop = service;
            service = null;
        }
        if (toStop != null) {
            try {
                System.err.println("EmbeddedNeo4j: shutting down DBMS");
                toStop.shutdown();
                System.err.println("EmbeddedNeo4j: DBMS stopped");
            } catch (Throwable t) {
                System.err.println("EmbeddedNeo4j: error during shutdown: " + t);
            }
        }
    }

    private static void fail(String message) {
        PROTOCOL_OUT.println("NEO4J_FAILED " + message.replace('\n', ' ').replace('\r', ' '));
        PROTOCOL_OUT.flush();
        System.err.flush();
        // Runs the shutdown hook (no-op if nothing started).
        System.exit(1);
    }

    private static String describe(Throwable t, Options opts) {
        List<Throwable> chain = causeChain(t);
        for (Throwable c : chain) {
            if (c instanceof PortInUseException) return c.getMessage();
        }
        // Deepest cause first: the root cause carries the most specific message.
        List<Throwable> rootFirst = new ArrayList<>(chain);
        Collections.reverse(rootFirst);
        for (Throwable c : rootFirst) {
            String cls = c.getClass().getName();
            String msg = String.valueOf(c.getMessage());
            if (cls.endsWith("FileLockException") || msg.contains("locked by another process")
                    || msg.contains("Lock file has been locked")) {
                return "store at " + opts.dataDir.toAbsolutePath().normalize()
                        + " is locked by another Neo4j process (" + msg + ")";
            }
            if (c instanceof BindException || cls.endsWith("PortBindException")
                    || msg.contains("already in use")) {
                return "bolt port 127.0.0.1:" + opts.boltPort + " is already in use (" + msg + ")";
            }
        }
        StringBuilder sb = new StringBuilder();
        for (Throwable c : chain) {
            if (sb.length() > 0) sb.append(" <- ");
            sb.append(c.getClass().getSimpleName());
            if (c.getMessage() != null) sb.append(": ").append(c.getMessage());
        }
        t.printStackTrace(System.err);
        return sb.toString();
    }

    private static List<Throwable> causeChain(Throwable t) {
        List<Throwable> out = new ArrayList<>();
        Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Throwable c = t; c != null && seen.add(c); c = c.getCause()) {
            out.add(c);
        }
        return out;
    }

    private static Options parseArgs(String[] args) {
        Options o = new Options();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--data-dir" -> o.dataDir = Path.of(value(args, ++i, a));
                case "--bolt-port" -> {
                    String v = value(args, ++i, a);
                    try {
                        o.boltPort = Integer.parseInt(v);
                    } catch (NumberFormatException e) {
                        throw new IllegalArgumentException("--bolt-port must be an integer, got '" + v + "'");
                    }
                }
                case "--pagecache" -> o.pagecache = value(args, ++i, a);
                case "--tx-timeout" -> o.txTimeout = value(args, ++i, a);
                case "--start-timeout" -> o.startTimeout = value(args, ++i, a);
                case "--no-stdin-watch" -> o.stdinWatch = false;
                default -> throw new IllegalArgumentException("unknown argument '" + a + "'");
            }
        }
        if (o.dataDir == null) throw new IllegalArgumentException("--data-dir is required");
        if (o.boltPort < 1 || o.boltPort > 65535) throw new IllegalArgumentException("--bolt-port is required (1-65535)");
        return o;
    }

    private static String value(String[] args, int i, String flag) {
        if (i >= args.length) throw new IllegalArgumentException(flag + " needs a value");
        return args[i];
    }
}
