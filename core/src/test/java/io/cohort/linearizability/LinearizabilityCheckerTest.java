package io.cohort.linearizability;

import static io.cohort.linearizability.KvModel.ABSENT;
import static org.assertj.core.api.Assertions.assertThat;

import io.cohort.linearizability.KvModel.Cas;
import io.cohort.linearizability.KvModel.Delete;
import io.cohort.linearizability.KvModel.Get;
import io.cohort.linearizability.KvModel.Input;
import io.cohort.linearizability.KvModel.Output;
import io.cohort.linearizability.KvModel.Put;
import io.cohort.linearizability.LinearizabilityChecker.Verdict;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The checker on hand-made histories that are and are not linearizable, and on generated ones. */
class LinearizabilityCheckerTest {
    private static final KvModel MODEL = new KvModel();
    private static final long BUDGET = 10_000_000;

    private static Operation<Input, Output> op(int client, long call, long ret, Input in, Output out) {
        return Operation.completed(client, call, ret, in, out);
    }

    private static Verdict check(List<Operation<Input, Output>> history) {
        return LinearizabilityChecker.check(MODEL, history, BUDGET).verdict();
    }

    @Test
    void aSequentialHistoryThatFollowsTheModelIsLinearizable() {
        assertThat(check(List.of(
                op(1, 0, 1, new Put("k", "a"), Output.OK),
                op(1, 2, 3, new Get("k"), Output.read("a")),
                op(1, 4, 5, new Delete("k"), Output.flag(true)),
                op(1, 6, 7, new Get("k"), Output.read(ABSENT)),
                op(1, 8, 9, new Delete("k"), Output.flag(false))))).isEqualTo(Verdict.LINEARIZABLE);
    }

    @Test
    void aReadOfAValueNeverWrittenIsNot() {
        assertThat(check(List.of(
                op(1, 0, 1, new Put("k", "a"), Output.OK),
                op(2, 2, 3, new Get("k"), Output.read("b"))))).isEqualTo(Verdict.NOT_LINEARIZABLE);
    }

    @Test
    void aReadConcurrentWithAWriteMaySeeEitherValue() {
        for (String seen : List.of(ABSENT, "a")) {
            assertThat(check(List.of(
                    op(1, 0, 10, new Put("k", "a"), Output.OK),
                    op(2, 2, 5, new Get("k"), Output.read(seen))))).as("read %s", seen).isEqualTo(Verdict.LINEARIZABLE);
        }
    }

    @Test
    void aStaleReadAfterTheWriteReturnedIsNot() {
        assertThat(check(List.of(
                op(1, 0, 1, new Put("k", "a"), Output.OK),
                op(2, 2, 3, new Get("k"), Output.read(ABSENT))))).isEqualTo(Verdict.NOT_LINEARIZABLE);
    }

    @Test
    void newThenOldReadsDuringOneWriteAreNot() {
        // The classic inversion: one client sees the new value, a later read sees the old one.
        assertThat(check(List.of(
                op(1, 0, 100, new Put("k", "new"), Output.OK),
                op(2, 10, 20, new Get("k"), Output.read("new")),
                op(3, 30, 40, new Get("k"), Output.read(ABSENT))))).isEqualTo(Verdict.NOT_LINEARIZABLE);
        assertThat(check(List.of(
                op(1, 0, 100, new Put("k", "new"), Output.OK),
                op(2, 10, 20, new Get("k"), Output.read(ABSENT)),
                op(3, 30, 40, new Get("k"), Output.read("new"))))).isEqualTo(Verdict.LINEARIZABLE);
    }

    @Test
    void twoConcurrentCompareAndSetsFromOneValueCannotBothWin() {
        List<Operation<Input, Output>> base = List.of(op(1, 0, 1, new Put("k", "v0"), Output.OK));
        List<Operation<Input, Output>> bothWin = new ArrayList<>(base);
        bothWin.add(op(2, 2, 10, new Cas("k", "v0", "v1"), Output.flag(true)));
        bothWin.add(op(3, 3, 11, new Cas("k", "v0", "v2"), Output.flag(true)));
        assertThat(check(bothWin)).isEqualTo(Verdict.NOT_LINEARIZABLE);
        List<Operation<Input, Output>> oneWins = new ArrayList<>(base);
        oneWins.add(op(2, 2, 10, new Cas("k", "v0", "v1"), Output.flag(true)));
        oneWins.add(op(3, 3, 11, new Cas("k", "v0", "v2"), Output.flag(false)));
        oneWins.add(op(4, 12, 13, new Get("k"), Output.read("v1")));
        assertThat(check(oneWins)).isEqualTo(Verdict.LINEARIZABLE);
        List<Operation<Input, Output>> loserVisible = new ArrayList<>(oneWins.subList(0, 3));
        loserVisible.add(op(4, 12, 13, new Get("k"), Output.read("v2")));
        assertThat(check(loserVisible)).isEqualTo(Verdict.NOT_LINEARIZABLE);
    }

    @Test
    void aWriteWithAnUnknownOutcomeMayOrMayNotHaveHappenedButNotBoth() {
        Operation<Input, Output> lost = Operation.unknown(1, 0, new Put("k", "x"));
        assertThat(check(List.of(lost, op(2, 5, 6, new Get("k"), Output.read("x"))))).isEqualTo(Verdict.LINEARIZABLE);
        assertThat(check(List.of(lost, op(2, 5, 6, new Get("k"), Output.read(ABSENT))))).isEqualTo(Verdict.LINEARIZABLE);
        assertThat(check(List.of(lost,
                op(2, 5, 6, new Get("k"), Output.read("x")),
                op(2, 7, 8, new Get("k"), Output.read(ABSENT))))).isEqualTo(Verdict.NOT_LINEARIZABLE);
    }

    @Test
    void aWriteWithAnUnknownOutcomeMayTakeEffectAfterOperationsThatStartedLater() {
        // Porcupine's rule: an operation with no response completes at infinity.
        Operation<Input, Output> lost = Operation.unknown(1, 0, new Put("k", "x"));
        Operation<Input, Output> later = op(2, 5, 6, new Put("k", "y"), Output.OK);
        assertThat(check(List.of(lost, later, op(3, 10, 11, new Get("k"), Output.read("x")))))
                .isEqualTo(Verdict.LINEARIZABLE);
        assertThat(check(List.of(lost, later,
                op(3, 10, 11, new Get("k"), Output.read("x")),
                op(3, 12, 13, new Get("k"), Output.read("y"))))).isEqualTo(Verdict.NOT_LINEARIZABLE);
        // but never before its call
        assertThat(check(List.of(op(3, 0, 1, new Get("k"), Output.read("x")),
                Operation.unknown(1, 5, new Put("k", "x"))))).isEqualTo(Verdict.NOT_LINEARIZABLE);
    }

    @Test
    void unknownCompareAndSetsAndDeletesDoWhatTheStateTheyMeetMakesThemDo() {
        List<Operation<Input, Output>> base = List.of(op(1, 0, 1, new Put("k", "v0"), Output.OK),
                Operation.unknown(2, 2, new Cas("k", "v0", "v1")), Operation.unknown(3, 2, new Delete("k")));
        for (String seen : List.of("v0", "v1", ABSENT)) {
            List<Operation<Input, Output>> h = new ArrayList<>(base);
            h.add(op(4, 10, 11, new Get("k"), Output.read(seen)));
            assertThat(check(h)).as("read %s", seen).isEqualTo(Verdict.LINEARIZABLE);
        }
        // the cas cannot succeed after the delete: absent, then v1, is impossible
        List<Operation<Input, Output>> h = new ArrayList<>(base);
        h.add(op(4, 10, 11, new Get("k"), Output.read(ABSENT)));
        h.add(op(4, 12, 13, new Get("k"), Output.read("v1")));
        assertThat(check(h)).isEqualTo(Verdict.NOT_LINEARIZABLE);
    }

    /** Adding operations with an unknown outcome never turns a linearizable history into one that is not. */
    @Test
    void unknownOperationsNeverBreakALinearizableHistory() {
        SplittableRandom random = new SplittableRandom(7);
        String[] keys = {"a", "b", "c"};
        for (int round = 0; round < 100; round++) {
            List<Operation<Input, Output>> history = new ArrayList<>(atomicRegisterHistory(random, 5, 80));
            long end = history.stream().mapToLong(Operation::callNanos).max().orElse(0);
            for (int i = random.nextInt(1, 8); i > 0; i--) {
                String key = keys[random.nextInt(keys.length)];
                Input in = switch (random.nextInt(3)) {
                    case 0 -> new Put(key, "u" + i);
                    case 1 -> new Delete(key);
                    default -> new Cas(key, random.nextBoolean() ? ABSENT : "v" + random.nextInt(80), "u" + i);
                };
                history.add(Operation.unknown(100 + i, random.nextLong(end + 1), in));
            }
            assertThat(check(history)).as("round %d", round).isEqualTo(Verdict.LINEARIZABLE);
        }
    }

    @Test
    void keysAreCheckedIndependentlyAndAViolationOnOneKeyIsReported() {
        LinearizabilityChecker.Result r = LinearizabilityChecker.check(MODEL, List.of(
                op(1, 0, 1, new Put("a", "1"), Output.OK),
                op(1, 2, 3, new Put("b", "1"), Output.OK),
                op(2, 4, 5, new Get("a"), Output.read("1")),
                op(2, 6, 7, new Get("b"), Output.read("2"))), BUDGET);
        assertThat(r.verdict()).isEqualTo(Verdict.NOT_LINEARIZABLE);
        assertThat(r.explanation()).contains("Get[key=b]");
    }

    @Test
    void aTinyStepBudgetGivesUnknownRatherThanAGuess() {
        List<Operation<Input, Output>> history = atomicRegisterHistory(new SplittableRandom(5), 8, 200);
        assertThat(LinearizabilityChecker.check(MODEL, history, 3).verdict()).isEqualTo(Verdict.UNKNOWN);
    }

    @Test
    void historiesFromATrueAtomicRegisterAreLinearizableAndCorruptingOneReadIsCaught() {
        SplittableRandom random = new SplittableRandom(42);
        int caught = 0;
        for (int round = 0; round < 50; round++) {
            List<Operation<Input, Output>> history = atomicRegisterHistory(random, 6, 120);
            assertThat(check(history)).as("round %d", round).isEqualTo(Verdict.LINEARIZABLE);
            // A read that returns a value nobody ever wrote can never be linearized.
            List<Operation<Input, Output>> corrupted = new ArrayList<>(history);
            for (int i = 0; i < corrupted.size(); i++) {
                Operation<Input, Output> o = corrupted.get(i);
                if (o.input() instanceof Get && !o.outcomeUnknown()) {
                    corrupted.set(i, op(o.clientId(), o.callNanos(), o.returnNanos(), o.input(),
                            Output.read("never-written")));
                    assertThat(check(corrupted)).as("round %d corrupted", round).isEqualTo(Verdict.NOT_LINEARIZABLE);
                    caught++;
                    break;
                }
            }
        }
        assertThat(caught).isGreaterThan(40);
    }

    /**
     * A history of {@code clients} clients on three keys of a real atomic register: each operation
     * takes effect at one random instant between its call and its return, so the history is
     * linearizable by construction. Some writes get an unknown outcome (they took effect or not).
     */
    static List<Operation<Input, Output>> atomicRegisterHistory(SplittableRandom random, int clients, int opsTotal) {
        record Planned(int client, long call, long effect, long ret, Input input, boolean unknown, boolean dropped) {
        }
        List<Planned> planned = new ArrayList<>();
        long[] clientFree = new long[clients];
        String[] keys = {"a", "b", "c"};
        for (int i = 0; i < opsTotal; i++) {
            int c = random.nextInt(clients);
            long call = clientFree[c] + random.nextInt(20);
            long effect = call + 1 + random.nextInt(30);
            long ret = effect + 1 + random.nextInt(30);
            clientFree[c] = ret + 1;
            String key = keys[random.nextInt(keys.length)];
            String value = "v" + i;
            Input in = switch (random.nextInt(5)) {
                case 0, 1 -> new Put(key, value);
                case 2 -> new Get(key);
                case 3 -> new Delete(key);
                default -> new Cas(key, random.nextBoolean() ? ABSENT : "v" + random.nextInt(i + 1), value);
            };
            boolean unknown = !(in instanceof Get) && random.nextInt(20) == 0;
            boolean dropped = unknown && random.nextBoolean(); // an unknown write that never took effect
            planned.add(new Planned(c, call, effect, ret, in, unknown, dropped));
        }
        // Apply in effect order to compute the outputs a real register gives.
        List<Planned> byEffect = new ArrayList<>(planned);
        byEffect.sort((x, y) -> Long.compare(x.effect(), y.effect()));
        java.util.Map<String, String> state = new java.util.HashMap<>();
        java.util.Map<Planned, Output> outputs = new java.util.IdentityHashMap<>();
        for (Planned p : byEffect) {
            if (p.dropped()) {
                continue;
            }
            String current = state.getOrDefault(p.input().key(), ABSENT);
            Output out;
            if (p.input() instanceof Put put) {
                state.put(put.key(), put.value());
                out = Output.OK;
            } else if (p.input() instanceof Get) {
                out = Output.read(current);
            } else if (p.input() instanceof Delete d) {
                out = Output.flag(!current.equals(ABSENT));
                state.remove(d.key());
            } else {
                Cas cas = (Cas) p.input();
                boolean ok = current.equals(cas.expected());
                if (ok) {
                    state.put(cas.key(), cas.value());
                }
                out = Output.flag(ok);
            }
            outputs.put(p, out);
        }
        List<Operation<Input, Output>> history = new ArrayList<>();
        for (Planned p : planned) {
            history.add(p.unknown() ? Operation.unknown(p.client(), p.call(), p.input())
                    : op(p.client(), p.call(), p.ret(), p.input(), outputs.get(p)));
        }
        return history;
    }
}
