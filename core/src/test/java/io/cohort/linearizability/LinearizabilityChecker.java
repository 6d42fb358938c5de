package io.cohort.linearizability;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Decides whether a concurrent history is linearizable with respect to a {@link Model}: the
 * Wing &amp; Gong search with Lowe's memoization, as in Porcupine. Each partition of the history
 * is searched on its own; the search walks a linked list of call and return events, tries to
 * linearize the earliest pending calls first, backtracks when it meets a return whose call it has
 * not linearized, and never visits the same (set of linearized operations, state) twice.
 *
 * <p>Operations with an unknown outcome return "at infinity": the search may linearize them
 * anywhere after their call, including after everything else, which is the same as never.
 */
public final class LinearizabilityChecker {

    /** The verdict on a history. */
    public enum Verdict {
        /** Some order of the operations, consistent with real time, satisfies the model. */
        LINEARIZABLE,
        /** No such order exists. */
        NOT_LINEARIZABLE,
        /** The search ran out of its step budget before deciding. */
        UNKNOWN
    }

    /**
     * The outcome of a check.
     *
     * @param verdict the verdict
     * @param explanation for NOT_LINEARIZABLE: the partition that failed and the longest prefix the
     *     search could linearize; otherwise empty
     */
    public record Result(Verdict verdict, String explanation) {
        /** True if the history is linearizable. */
        public boolean linearizable() {
            return verdict == Verdict.LINEARIZABLE;
        }
    }

    private static final int MAX_EXPLAINED_OPS = 10;

    private LinearizabilityChecker() {
    }

    /** Checks {@code history} against {@code model}, giving up as UNKNOWN after {@code maxSteps} search steps per partition. */
    public static <S, I, O> Result check(Model<S, I, O> model, List<Operation<I, O>> history, long maxSteps) {
        Objects.requireNonNull(model, "model");
        if (maxSteps < 1) {
            throw new IllegalArgumentException("maxSteps must be >= 1, was " + maxSteps);
        }
        boolean unknown = false;
        for (List<Operation<I, O>> part : model.partition(history)) {
            Result r = checkPartition(model, part, maxSteps);
            if (r.verdict() == Verdict.NOT_LINEARIZABLE) {
                return r;
            }
            unknown |= r.verdict() == Verdict.UNKNOWN;
        }
        return new Result(unknown ? Verdict.UNKNOWN : Verdict.LINEARIZABLE, "");
    }

    /** One call or return in the event list. */
    private static final class Event {
        final int op;
        final boolean isCall;
        final long timeNanos;
        Event match;
        Event prev;
        Event next;

        Event(int op, boolean isCall, long timeNanos) {
            this.op = op;
            this.isCall = isCall;
            this.timeNanos = timeNanos;
        }
    }

    private record Memo(BitSet linearized, Object state) {
    }

    private record Frame<S>(Event call, S stateBefore) {
    }

    private static <S, I, O> Result checkPartition(Model<S, I, O> model, List<Operation<I, O>> ops, long maxSteps) {
        Event head = buildEvents(ops);
        S state = model.initialState();
        BitSet linearized = new BitSet(ops.size());
        Set<Memo> seen = new HashSet<>();
        ArrayDeque<Frame<S>> stack = new ArrayDeque<>();
        int longest = 0;
        List<Integer> longestOrder = List.of();
        long steps = 0;
        Event entry = head.next;
        while (head.next != null) {
            if (++steps > maxSteps) {
                return new Result(Verdict.UNKNOWN, "");
            }
            if (entry.isCall) {
                Optional<S> after = model.step(state, ops.get(entry.op));
                boolean advanced = false;
                if (after.isPresent()) {
                    BitSet next = (BitSet) linearized.clone();
                    next.set(entry.op);
                    if (seen.add(new Memo(next, after.get()))) {
                        stack.push(new Frame<>(entry, state));
                        state = after.get();
                        linearized = next;
                        lift(entry);
                        advanced = true;
                        if (stack.size() > longest) {
                            longest = stack.size();
                            longestOrder = order(stack);
                        }
                        entry = head.next;
                    }
                }
                if (!advanced) {
                    entry = entry.next;
                }
            } else {
                // A return whose call is not linearized: every order tried so far fails here.
                if (stack.isEmpty()) {
                    return new Result(Verdict.NOT_LINEARIZABLE, explain(model, ops, longestOrder));
                }
                Frame<S> top = stack.pop();
                state = top.stateBefore();
                linearized = (BitSet) linearized.clone();
                linearized.clear(top.call().op);
                unlift(top.call());
                entry = top.call().next;
            }
        }
        return new Result(Verdict.LINEARIZABLE, "");
    }

    private static <I, O> Event buildEvents(List<Operation<I, O>> ops) {
        List<Event> events = new ArrayList<>(2 * ops.size());
        for (int i = 0; i < ops.size(); i++) {
            Operation<I, O> op = ops.get(i);
            Event call = new Event(i, true, op.callNanos());
            Event ret = new Event(i, false, op.returnNanos());
            call.match = ret;
            ret.match = call;
            events.add(call);
            events.add(ret);
        }
        // By time; at equal times calls first, so touching operations count as concurrent (never a false alarm).
        events.sort(Comparator.comparingLong((Event e) -> e.timeNanos).thenComparing(e -> !e.isCall)
                .thenComparingInt(e -> e.op));
        Event head = new Event(-1, true, Long.MIN_VALUE);
        Event prev = head;
        for (Event e : events) {
            prev.next = e;
            e.prev = prev;
            prev = e;
        }
        return head;
    }

    /** Takes a linearized call and its return out of the list. */
    private static void lift(Event call) {
        call.prev.next = call.next;
        if (call.next != null) {
            call.next.prev = call.prev;
        }
        Event ret = call.match;
        ret.prev.next = ret.next;
        if (ret.next != null) {
            ret.next.prev = ret.prev;
        }
    }

    /** Puts a call and its return back where they were (inverse of {@link #lift}, in reverse order). */
    private static void unlift(Event call) {
        Event ret = call.match;
        ret.prev.next = ret;
        if (ret.next != null) {
            ret.next.prev = ret;
        }
        call.prev.next = call;
        if (call.next != null) {
            call.next.prev = call;
        }
    }

    private static <S> List<Integer> order(ArrayDeque<Frame<S>> stack) {
        List<Integer> order = new ArrayList<>(stack.size());
        stack.descendingIterator().forEachRemaining(f -> order.add(f.call().op));
        return order;
    }

    private static <S, I, O> String explain(Model<S, I, O> model, List<Operation<I, O>> ops, List<Integer> longest) {
        StringBuilder sb = new StringBuilder("no linearization of ").append(ops.size())
                .append(" operations; the longest linearizable prefix (").append(longest.size()).append("):");
        for (int op : longest) {
            sb.append("\n  ").append(model.describe(ops.get(op)));
        }
        sb.append("\nafter which none of these fits (in call order):");
        BitSet placed = new BitSet(ops.size());
        longest.forEach(placed::set);
        List<Integer> rest = new ArrayList<>();
        for (int i = 0; i < ops.size(); i++) {
            if (!placed.get(i)) {
                rest.add(i);
            }
        }
        rest.sort(Comparator.comparingLong(i -> ops.get(i).callNanos()));
        int shown = 0;
        for (int op : rest) {
            if (shown++ == MAX_EXPLAINED_OPS) {
                sb.append("\n  ... and ").append(rest.size() - MAX_EXPLAINED_OPS).append(" more");
                break;
            }
            sb.append("\n  ").append(model.describe(ops.get(op)));
        }
        return sb.toString();
    }
}
