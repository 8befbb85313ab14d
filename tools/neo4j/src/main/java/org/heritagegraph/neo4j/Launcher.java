package org.heritagegraph.neo4j;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.neo4j.cli.ExecutionContext;
import org.neo4j.commandline.admin.security.SetInitialPasswordCommand;
import org.neo4j.configuration.Config;
import org.neo4j.configuration.GraphDatabaseInternalSettings;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.SettingImpl;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.graphdb.GraphDatabaseService;
import org.neo4j.graphdb.config.Setting;
import org.neo4j.io.ByteUnit;
import org.neo4j.io.fs.DefaultFileSystemAbstraction;
import org.neo4j.io.locker.FileLockException;
import org.neo4j.logging.Level;
import org.neo4j.logging.log4j.Log4jLogProvider;

import picocli.CommandLine;
import sun.misc.Signal;

/**
 * A Neo4j Community server in this JVM: Bolt on 127.0.0.1 and the given port, the store in the given
 * folder, auth on with the given password for the user {@code neo4j}. Prints one line with {@code ready}
 * and the {@code export NEO4J_URI=… NEO4J_USER=… NEO4J_PASSWORD=…} for the service once Bolt accepts
 * connections; SIGTERM or SIGINT shut it down cleanly, exit status 0.
 *
 * <p>Exit status: 0 stopped by a signal; 2 bad arguments, port in use, store folder in use or not a store;
 * 1 Neo4j failed otherwise (the cause and the debug log's path on stderr).
 */
public final class Launcher {
    static final String USER = "neo4j";
    static final String DATABASE = "neo4j";
    static final String USAGE = """
            usage: java -Xmx1g -jar target/heritage-neo4j.jar --port N --data DIR [--password P] [--pagecache SIZE]
                                                             [--config SETTING=VALUE ...]
              --port N          Bolt port on 127.0.0.1 (1-65535)
              --data DIR        store folder: empty or missing (a new store), or one this launcher made
              --password P      password of the user neo4j (default: the environment's NEO4J_PASSWORD;
                                at least 8 characters); set at every start
              --pagecache SIZE  page cache, e.g. 512m (default 512m); the heap is the JVM's (-Xmx)
              --config S=V      any other Neo4j setting, e.g. --config db.memory.transaction.max=256m
              --stop-with-stdin stop when standard input ends (the parent that started it is gone)""";

    private Launcher() {
    }

    /** What the command line asks for. */
    record Options(int port, Path data, String password, long pageCache, Map<Setting<?>, Object> extra,
                   boolean stopWithStdin) {
    }

    /** A mistake in the arguments or the environment the user can fix; exit status 2. */
    static final class UsageError extends Exception {
        UsageError(String message) {
            super(message);
        }
    }

    public static void main(String[] args) {
        Options options;
        try {
            options = parse(args, System.getenv("NEO4J_PASSWORD"));
            checkData(options.data());
            checkPort(options.port());
        } catch (UsageError e) {
            fail(2, e.getMessage());
            return;
        }
        System.exit(run(options));
    }

    static void fail(int status, String message) {
        System.err.println("neo4j launcher: " + message);
        if (status == 2 && message.startsWith("usage")) {
            System.err.println(USAGE);
        }
        System.exit(status);
    }

    static Options parse(String[] args, String passwordFromEnv) throws UsageError {
        Integer port = null;
        Path data = null;
        String password = passwordFromEnv;
        long pageCache = ByteUnit.mebiBytes(512);
        Map<Setting<?>, Object> extra = new LinkedHashMap<>();
        boolean stopWithStdin = false;
        Map<String, Setting<Object>> declared = Config.defaults().getDeclaredSettings();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (arg.equals("-h") || arg.equals("--help")) {
                System.out.println(USAGE);
                System.exit(0);
            }
            if (arg.equals("--stop-with-stdin")) {
                stopWithStdin = true;
                continue;
            }
            if (!List.of("--port", "--data", "--password", "--pagecache", "--config").contains(arg)) {
                throw new UsageError("usage: unknown argument " + arg);
            }
            if (i + 1 == args.length) {
                throw new UsageError("usage: " + arg + " needs a value");
            }
            String value = args[++i];
            switch (arg) {
                case "--port" -> port = port(value);
                case "--data" -> data = Path.of(value).toAbsolutePath().normalize();
                case "--password" -> password = value;
                case "--pagecache" -> pageCache = size("--pagecache", value);
                default -> {
                    int eq = value.indexOf('=');
                    Setting<Object> setting = eq > 0 ? declared.get(value.substring(0, eq).strip()) : null;
                    if (setting == null) {
                        throw new UsageError("usage: --config " + value + ": not SETTING=VALUE with a Neo4j "
                                + "5.26 setting");
                    }
                    try {
                        extra.put(setting, ((SettingImpl<Object>) setting).parse(value.substring(eq + 1).strip()));
                    } catch (IllegalArgumentException e) {
                        throw new UsageError("--config " + value + ": " + e.getMessage());
                    }
                }
            }
        }
        if (port == null || data == null) {
            throw new UsageError("usage: --port and --data are required");
        }
        int minimum = (Integer) extra.getOrDefault(GraphDatabaseSettings.auth_minimum_password_length,
                GraphDatabaseSettings.auth_minimum_password_length.defaultValue());
        if (password == null || password.isEmpty()) {
            throw new UsageError("usage: no password: give --password or set NEO4J_PASSWORD");
        }
        if (password.length() < minimum) {
            throw new UsageError("the password has " + password.length() + " characters; Neo4j wants at least "
                    + minimum + " (dbms.security.auth_minimum_password_length)");
        }
        return new Options(port, data, password, pageCache, extra, stopWithStdin);
    }

    static int port(String value) throws UsageError {
        try {
            int port = Integer.parseInt(value);
            if (port >= 1 && port <= 65535) {
                return port;
            }
        } catch (NumberFormatException e) {
            // the message below
        }
        throw new UsageError("usage: --port " + value + ": not a port (1-65535)");
    }

    static long size(String option, String value) throws UsageError {
        try {
            long bytes = ByteUnit.parse(value);
            if (bytes > 0) {
                return bytes;
            }
        } catch (IllegalArgumentException e) {
            // the message below
        }
        throw new UsageError("usage: " + option + " " + value + ": not a size such as 512m or 2g");
    }

    /** A new store wants an empty or missing folder; an existing one holds this launcher's layout. */
    static void checkData(Path data) throws UsageError {
        if (Files.exists(data) && !Files.isDirectory(data)) {
            throw new UsageError("--data " + data + " is not a folder");
        }
        if (Files.isDirectory(data) && !Files.isDirectory(data.resolve("data").resolve("databases"))) {
            try (Stream<Path> entries = Files.list(data)) {
                if (entries.findAny().isPresent()) {
                    throw new UsageError("--data " + data + " is neither empty nor a Neo4j store made by this "
                            + "launcher (no data/databases/ in it); give an empty or new folder");
                }
            } catch (IOException e) {
                throw new UsageError("--data " + data + ": " + e.getMessage());
            }
        }
        try {
            Files.createDirectories(data);
        } catch (IOException e) {
            throw new UsageError("--data " + data + ": cannot create it: " + e.getMessage());
        }
    }

    /** Says "in use" before Neo4j spends seconds starting (Neo4j's own bind failure is mapped too). */
    static void checkPort(int port) throws UsageError {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
        } catch (IOException e) {
            throw portInUse(port);
        }
    }

    static UsageError portInUse(int port) {
        return new UsageError("port " + port + " on 127.0.0.1 is in use; give another --port");
    }

    static int run(Options options) {
        CountDownLatch stop = new CountDownLatch(1);
        // SIGTERM and SIGINT end the wait below, so that main shuts Neo4j down and exits 0 (the JVM's
        // default for them is status 143/130).
        for (String name : List.of("TERM", "INT")) {
            Signal.handle(new Signal(name), signal -> stop.countDown());
        }
        if (options.stopWithStdin()) {
            // A test run that dies without stopping its Neo4j closes the pipe: no JVM is left behind.
            Thread watcher = new Thread(() -> {
                try {
                    while (System.in.read() >= 0) {
                        // only the end of input matters
                    }
                } catch (IOException e) {
                    // a broken pipe is an end too
                }
                stop.countDown();
            }, "stdin-watcher");
            watcher.setDaemon(true);
            watcher.start();
        }
        long heap = Runtime.getRuntime().maxMemory();
        Log4jLogProvider userLog = new Log4jLogProvider(System.err, Level.WARN);
        DatabaseManagementServiceBuilder builder = new DatabaseManagementServiceBuilder(options.data())
                .setUserLogProvider(userLog)
                .setConfig(BoltConnector.enabled, true)
                .setConfig(BoltConnector.listen_address, new SocketAddress("127.0.0.1", options.port()))
                .setConfig(BoltConnector.advertised_address, new SocketAddress("127.0.0.1", options.port()))
                .setConfig(BoltConnector.encryption_level, BoltConnector.EncryptionLevel.DISABLED)
                .setConfig(GraphDatabaseSettings.auth_enabled, true)
                .setConfig(GraphDatabaseSettings.pagecache_memory, options.pageCache())
                // All transactions together stay below 70% of the heap: a too large one fails with
                // Neo4j's MemoryLimitExceededException, not an OutOfMemoryError for everyone.
                .setConfig(GraphDatabaseSettings.memory_transaction_global_max_size, heap / 10 * 7)
                .setConfig(GraphDatabaseSettings.udc_enabled, false)
                // Bolt's network threads stop at once rather than after two quiet periods of 5 s each.
                .setConfig(GraphDatabaseInternalSettings.netty_server_shutdown_quiet_period, 0);
        builder.setConfig(options.extra());
        System.err.printf("neo4j launcher: starting Neo4j on 127.0.0.1:%d, store %s, heap %s, page cache %s%n",
                options.port(), options.data(), ByteUnit.bytesToString(heap),
                ByteUnit.bytesToString(options.pageCache()));

        DatabaseManagementService dbms;
        try {
            boolean fresh = !Files.isDirectory(systemDatabase(options.data()));
            if (fresh) {
                setInitialPassword(options.data(), options.password());
            }
            dbms = builder.build();
            Runtime.getRuntime().addShutdownHook(new Thread(() -> shutdown(dbms), "neo4j-shutdown"));
            if (!fresh) {
                setPassword(dbms.database(GraphDatabaseSettings.SYSTEM_DATABASE_NAME), options.password());
            }
            GraphDatabaseService neo4j = dbms.database(DATABASE);
            if (!neo4j.isAvailable(TimeUnit.MINUTES.toMillis(2))) {
                throw new IllegalStateException("the database " + DATABASE + " did not become available");
            }
        } catch (RuntimeException e) {
            return startFailed(e, options);
        }
        String uri = "bolt://127.0.0.1:" + options.port();
        PrintStream out = System.out;
        String version = DatabaseManagementService.class.getPackage().getImplementationVersion();
        out.println("Neo4j " + version + " Community ready on " + uri + " (store " + options.data() + "); in another shell: "
                + "export NEO4J_URI=" + uri + " NEO4J_USER=" + USER + " NEO4J_PASSWORD="
                + shellQuote(options.password()));
        out.flush();
        try {
            stop.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        System.err.println("neo4j launcher: stopping");
        shutdown(dbms);
        System.err.println("neo4j launcher: stopped");
        return 0;
    }

    private static boolean stopped;

    /** Once, from main after a signal or from the shutdown hook (e.g. SIGHUP, System.exit elsewhere). */
    static synchronized void shutdown(DatabaseManagementService dbms) {
        if (!stopped) {
            stopped = true;
            dbms.shutdown();
        }
    }

    static Path systemDatabase(Path data) {
        return data.resolve("data").resolve("databases").resolve(GraphDatabaseSettings.SYSTEM_DATABASE_NAME);
    }

    /**
     * A new store's password, before its first start: what {@code neo4j-admin dbms set-initial-password}
     * (and the neo4j image's NEO4J_AUTH) does, a {@code data/dbms/auth.ini} the system database takes its
     * user {@code neo4j} from. Bolt never accepts the default password "neo4j".
     */
    static void setInitialPassword(Path data, String password) {
        StringWriter err = new StringWriter();
        CommandLine command = new CommandLine(new SetInitialPasswordCommand(new ExecutionContext(data,
                data.resolve("conf"), new PrintStream(OutputStream.nullOutputStream()), System.err,
                new DefaultFileSystemAbstraction())));
        command.setErr(new PrintWriter(err));
        if (command.execute(password) != 0) {
            throw new IllegalStateException("set-initial-password failed: " + err.toString().strip());
        }
    }

    /** A store's password at a later start: whatever it was, now the one given. */
    static void setPassword(GraphDatabaseService system, String password) {
        try {
            system.executeTransactionally("ALTER USER " + USER + " SET PASSWORD $password CHANGE NOT REQUIRED",
                    Map.of("password", password));
        } catch (RuntimeException e) {
            // A restart with the same password: Neo4j refuses to "change" it to itself, and it is already right.
            if (!String.valueOf(e.getMessage()).contains("Old password and new password cannot be the same")) {
                throw e;
            }
        }
    }

    static int startFailed(RuntimeException e, Options options) {
        List<Throwable> chain = new ArrayList<>();
        for (Throwable t = e; t != null && !chain.contains(t); t = t.getCause()) {
            chain.add(t);
        }
        if (chain.stream().anyMatch(t -> t instanceof BindException)) {
            System.err.println("neo4j launcher: " + portInUse(options.port()).getMessage());
            return 2;
        }
        if (chain.stream().anyMatch(t -> t instanceof FileLockException)) {
            System.err.println("neo4j launcher: the store " + options.data() + " is in use by another process");
            return 2;
        }
        Throwable root = chain.get(chain.size() - 1);
        System.err.println("neo4j launcher: Neo4j did not start: " + root);
        System.err.println("neo4j launcher: see " + options.data().resolve("logs").resolve("debug.log"));
        e.printStackTrace();
        return 1;
    }

    private static final Pattern SHELL_SAFE = Pattern.compile("[A-Za-z0-9_@%+=:,./-]+");

    /** The password as one word for sh/bash/zsh: as is when safe, else in single quotes. */
    static String shellQuote(String s) {
        return SHELL_SAFE.matcher(s).matches() ? s : "'" + s.replace("'", "'\\''") + "'";
    }
}
