package io.cohort.mvcc.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** The indexed heap against a sorted-set model under random sets and removals. */
class LeaseHeapTest {
    record Key(long deadline, long id) implements Comparable<Key> {
        @Override
        public int compareTo(Key o) {
            int c = Long.compare(deadline, o.deadline);
            return c != 0 ? c : Long.compare(id, o.id);
        }
    }

    @Test
    void behavesLikeASortedSet() {
        Random rnd = new Random(7);
        LeaseHeap heap = new LeaseHeap(0);
        List<LeaseHeap.Node> nodes = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            nodes.add(new LeaseHeap.Node(i));
        }
        TreeSet<Key> model = new TreeSet<>();
        for (int step = 0; step < 100_000; step++) {
            LeaseHeap.Node n = nodes.get(rnd.nextInt(nodes.size()));
            if (rnd.nextInt(4) == 0) {
                if (heap.contains(n)) {
                    model.remove(new Key(n.deadlineMs(0), n.id));
                }
                heap.remove(n);
            } else {
                if (heap.contains(n)) {
                    model.remove(new Key(n.deadlineMs(0), n.id));
                }
                long d = rnd.nextInt(1_000);
                heap.set(n, d);
                model.add(new Key(d, n.id));
            }
            assertThat(heap.size()).isEqualTo(model.size());
            if (!model.isEmpty()) {
                assertThat(heap.peek().deadlineMs(0)).isEqualTo(model.first().deadline());
            }
        }
    }
}
