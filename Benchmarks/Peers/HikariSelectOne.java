// The HikariCP peer for `make bench-pool-peers`: the same SELECT 1 load our pool runs,
// through HikariCP and the PostgreSQL JDBC driver, against the same server.
//
//   java -cp ... HikariSelectOne URL USER PASSWORD WORKERS SECONDS [swap ALT_USER]
//
// Prints one line: queries=N seconds=S qps=Q p50_us=A p99_us=B errors=E
// With "swap", the pool switches credentials between USER and ALT_USER ten times during
// the run (credentials change plus soft evict), as a hot swap would.
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

public final class HikariSelectOne {
    public static void main(String[] args) throws Exception {
        String url = args[0];
        String user = args[1];
        String password = args[2];
        int workers = Integer.parseInt(args[3]);
        double seconds = Double.parseDouble(args[4]);
        String altUser = args.length > 6 && args[5].equals("swap") ? args[6] : null;

        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(url);
        config.setUsername(user);
        config.setPassword(password);
        config.setMaximumPoolSize(workers);
        config.setMinimumIdle(workers);
        HikariDataSource pool = new HikariDataSource(config);

        AtomicBoolean stop = new AtomicBoolean(false);
        AtomicLong errors = new AtomicLong();
        List<long[]> latencies = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        long[] counts = new long[workers];
        for (int w = 0; w < workers; w++) {
            final int index = w;
            final long[] samples = new long[4_000_000];
            latencies.add(samples);
            Thread thread = new Thread(() -> {
                long n = 0;
                while (!stop.get()) {
                    long start = System.nanoTime();
                    try (Connection connection = pool.getConnection();
                         PreparedStatement statement = connection.prepareStatement("SELECT 1");
                         ResultSet rows = statement.executeQuery()) {
                        rows.next();
                        rows.getInt(1);
                    } catch (Exception error) {
                        errors.incrementAndGet();
                    }
                    if (n < samples.length) samples[(int) n] = System.nanoTime() - start;
                    n++;
                }
                counts[index] = n;
            });
            threads.add(thread);
        }
        long began = System.nanoTime();
        threads.forEach(Thread::start);
        if (altUser != null) {
            for (int swap = 0; swap < 10; swap++) {
                Thread.sleep((long) (seconds * 1000 / 11));
                String next = swap % 2 == 0 ? altUser : user;
                pool.getHikariConfigMXBean().setUsername(next);
                pool.getHikariPoolMXBean().softEvictConnections();
            }
            Thread.sleep((long) (seconds * 1000 / 11));
        } else {
            Thread.sleep((long) (seconds * 1000));
        }
        stop.set(true);
        for (Thread thread : threads) thread.join();
        double elapsed = (System.nanoTime() - began) / 1e9;
        pool.close();

        long total = Arrays.stream(counts).sum();
        int kept = 0;
        for (int w = 0; w < workers; w++) kept += (int) Math.min(counts[w], latencies.get(w).length);
        long[] all = new long[kept];
        int at = 0;
        for (int w = 0; w < workers; w++) {
            int n = (int) Math.min(counts[w], latencies.get(w).length);
            System.arraycopy(latencies.get(w), 0, all, at, n);
            at += n;
        }
        Arrays.sort(all);
        long p50 = all.length == 0 ? 0 : all[all.length / 2] / 1000;
        long p99 = all.length == 0 ? 0 : all[(int) (all.length * 0.99)] / 1000;
        System.out.printf("queries=%d seconds=%.3f qps=%.1f p50_us=%d p99_us=%d errors=%d%n",
            total, elapsed, total / elapsed, p50, p99, errors.get());
    }
}
