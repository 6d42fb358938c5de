package io.cohort.benchmarks.load;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportWriterTest {
    private static PointResult point(String system, String workload, int inFlight, double ops, double p50, double p99) {
        return new PointResult(system, workload, inFlight, 5, (long) (ops * 5), ops, p50, p50, p99, p99, p99, 0);
    }

    @Test
    void resultLinesRoundTrip() {
        PointResult r = new PointResult("etcd", "lrange", 256, 5, 12_345, 2469.0, 10.5, 20.25, 30.0, 40.0, 50.0, 3);
        assertThat(PointResult.fromJsonLine(r.toJsonLine())).isEqualTo(r);
    }

    @Test
    void targetsAreJudgedOnTheRatiosTheIssueNames() {
        assertThat(ReportWriter.target("put", 256, 5.0, 1, 1)[1]).isEqualTo("**yes**");
        assertThat(ReportWriter.target("put", 256, 4.99, 1, 1)[1]).isEqualTo("**no**");
        assertThat(ReportWriter.target("put", 64, 3.0, 1, 1)[1]).isEqualTo("**yes**");
        assertThat(ReportWriter.target("put", 64, 2.9, 1, 1)[1]).isEqualTo("**no**");
        assertThat(ReportWriter.target("put", 1, 1, 0.3, 0.5)[1]).isEqualTo("**yes**");
        assertThat(ReportWriter.target("put", 1, 1, 0.3, 0.51)[1]).isEqualTo("**no**");
        assertThat(ReportWriter.target("put", 1, 1, 0.34, 0.4)[1]).isEqualTo("**no**");
        assertThat(ReportWriter.target("lrange", 64, 5.1, 1, 1)[1]).isEqualTo("**yes**");
        assertThat(ReportWriter.target("lrange", 256, Double.NaN, 1, 1)[1]).isEqualTo("not measured");
        assertThat(ReportWriter.target("cas", 64, 1, 1, 1)[1]).isEqualTo("—");
    }

    @Test
    void tableShowsRatiosOfCohortOverEtcd() {
        String table = ReportWriter.table(List.of(point("cohort", "put", 64, 9_000, 100, 1_000),
                point("etcd", "put", 64, 3_000, 400, 1_000)));
        assertThat(table).contains("| put | 64 | 9,000 | 3,000 | 3.00x | 100 / 1,000 | 400 / 1,000 | 0.25x | 1.00x"
                + " | throughput ≥ 3x | **yes** |");
    }

    @Test
    void mediansAreTakenFieldByFieldOverRuns() {
        List<PointResult> m = ReportWriter.medians(List.of(
                List.of(point("cohort", "put", 1, 100, 10, 90)),
                List.of(point("cohort", "put", 1, 300, 30, 10)),
                List.of(point("cohort", "put", 1, 200, 20, 50))));
        assertThat(m).hasSize(1);
        assertThat(m.get(0).opsPerSecond()).isEqualTo(200);
        assertThat(m.get(0).p50Micros()).isEqualTo(20);
        assertThat(m.get(0).p99Micros()).isEqualTo(50);
    }

    @Test
    void writesTheReportAndAPngChart(@TempDir Path dir) throws Exception {
        Path md = dir.resolve("r.md");
        Path png = dir.resolve("r.png");
        ReportWriter.write(List.of(point("cohort", "put", 64, 9_000, 100, 1_000),
                point("etcd", "put", 64, 3_000, 400, 2_000)), "- header line\n", md, png);
        assertThat(Files.readString(md)).contains("- header line").contains("| put | 64 |").contains("r.png");
        byte[] head = Files.readAllBytes(png);
        assertThat(head.length).isGreaterThan(1_000);
        assertThat(new String(head, 1, 3, java.nio.charset.StandardCharsets.US_ASCII)).isEqualTo("PNG");
    }
}
