package io.cohort.mvcc.internal;

import java.util.Arrays;

/**
 * A binary min-heap of leases by one deadline (expiry, or next checkpoint), with each lease's position kept so a
 * renewal moves it in O(log n) without allocating. Not thread-safe.
 */
public final class LeaseHeap {
    /** A lease in the heaps: its deadlines and its positions, owned by the heaps. */
    public static class Node {
        /** The lease ID. */
        public final long id;
        final long[] deadlineMs = new long[2];
        final int[] position = {-1, -1};

        /** A node for lease {@code id}. */
        public Node(long id) {
            this.id = id;
        }

        /** The deadline this node has in heap {@code which}. */
        public long deadlineMs(int which) {
            return deadlineMs[which];
        }
    }

    private final int which;
    private Node[] heap = new Node[64];
    private int size;

    /** A heap over deadline slot {@code which} (0 or 1) of its nodes. */
    public LeaseHeap(int which) {
        if (which != 0 && which != 1) {
            throw new IllegalArgumentException("which must be 0 or 1, was " + which);
        }
        this.which = which;
    }

    /** The number of nodes. */
    public int size() {
        return size;
    }

    /** True if {@code n} is in this heap. */
    public boolean contains(Node n) {
        return n.position[which] >= 0;
    }

    /** Adds {@code n} or moves it to {@code deadlineMs}. */
    public void set(Node n, long deadlineMs) {
        n.deadlineMs[which] = deadlineMs;
        int pos = n.position[which];
        if (pos < 0) {
            if (size == heap.length) {
                heap = Arrays.copyOf(heap, size * 2);
            }
            heap[size] = n;
            n.position[which] = size;
            size++;
            up(size - 1);
        } else {
            up(pos);
            down(n.position[which]);
        }
    }

    /** Removes {@code n} if present. */
    public void remove(Node n) {
        int pos = n.position[which];
        if (pos < 0) {
            return;
        }
        size--;
        Node last = heap[size];
        heap[size] = null;
        n.position[which] = -1;
        if (pos < size) {
            heap[pos] = last;
            last.position[which] = pos;
            up(pos);
            down(last.position[which]);
        }
    }

    /** The node with the earliest deadline, or null. */
    public Node peek() {
        return size == 0 ? null : heap[0];
    }

    /** Removes every node. */
    public void clear() {
        for (int i = 0; i < size; i++) {
            heap[i].position[which] = -1;
            heap[i] = null;
        }
        size = 0;
    }

    private void up(int i) {
        Node n = heap[i];
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            Node p = heap[parent];
            if (p.deadlineMs[which] <= n.deadlineMs[which]) {
                break;
            }
            heap[i] = p;
            p.position[which] = i;
            i = parent;
        }
        heap[i] = n;
        n.position[which] = i;
    }

    private void down(int i) {
        Node n = heap[i];
        int half = size >>> 1;
        while (i < half) {
            int child = 2 * i + 1;
            int right = child + 1;
            if (right < size && heap[right].deadlineMs[which] < heap[child].deadlineMs[which]) {
                child = right;
            }
            if (n.deadlineMs[which] <= heap[child].deadlineMs[which]) {
                break;
            }
            heap[i] = heap[child];
            heap[i].position[which] = i;
            i = child;
        }
        heap[i] = n;
        n.position[which] = i;
    }
}
