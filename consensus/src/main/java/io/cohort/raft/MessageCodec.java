package io.cohort.raft;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Compact binary codec for {@link Message}, little endian. Integrity (CRC32C) and framing are left
 * to transports; decoding checks every length against the buffer and throws
 * {@link IllegalArgumentException} on malformed input.
 */
public final class MessageCodec {
    /** Format version written as the first byte. */
    public static final byte VERSION = 2;
    /** Upper bound for a single encoded collection (entries, members) to reject garbage early. */
    public static final int MAX_ITEMS = 1 << 20;

    private static final int HEADER_BYTES = 1 + 1 + 8 * 7 + 1;

    private MessageCodec() {
    }

    /** Exact number of bytes {@link #encode} writes for {@code m}. */
    public static int encodedLength(Message m) {
        int n = HEADER_BYTES + 4 + m.context().length + 4;
        for (Entry e : m.entries()) {
            n += 8 + 8 + 1 + 4 + e.sizeBytes();
        }
        n += 1;
        if (m.snapshot() != null) {
            n += 8 + 8 + 4 + 8 * m.snapshot().membership().voters().size()
                    + 4 + 8 * m.snapshot().membership().learners().size();
            n += 8 + 8 + 4 + 4 + m.chunk().length;
        }
        return n;
    }

    /** Encodes {@code m} at {@code offset}; returns the number of bytes written. */
    public static int encode(Message m, MutableDirectBuffer buf, int offset) {
        int p = offset;
        buf.putByte(p++, VERSION);
        buf.putByte(p++, m.type().code());
        p = putLong(buf, p, m.from());
        p = putLong(buf, p, m.to());
        p = putLong(buf, p, m.term());
        p = putLong(buf, p, m.logTerm());
        p = putLong(buf, p, m.index());
        p = putLong(buf, p, m.commit());
        p = putLong(buf, p, m.rejectHint());
        buf.putByte(p++, (byte) (m.reject() ? 1 : 0));
        p = putBytes(buf, p, m.context());
        buf.putInt(p, m.entries().size());
        p += 4;
        for (Entry e : m.entries()) {
            p = putLong(buf, p, e.index());
            p = putLong(buf, p, e.term());
            buf.putByte(p++, e.type().code());
            p = putBytes(buf, p, e.data());
        }
        SnapshotMeta s = m.snapshot();
        buf.putByte(p++, (byte) (s == null ? 0 : 1));
        if (s != null) {
            p = putLong(buf, p, s.index());
            p = putLong(buf, p, s.term());
            p = putIds(buf, p, s.membership().voters());
            p = putIds(buf, p, s.membership().learners());
            p = putLong(buf, p, m.snapshotOffset());
            p = putLong(buf, p, m.snapshotSize());
            buf.putInt(p, m.snapshotChecksum());
            p += 4;
            p = putBytes(buf, p, m.chunk());
        }
        return p - offset;
    }

    /** Encodes {@code m} into a new array. */
    public static byte[] encode(Message m) {
        byte[] out = new byte[encodedLength(m)];
        int n = encode(m, new UnsafeBuffer(out), 0);
        assert n == out.length : "encodedLength mismatch " + n + " vs " + out.length;
        return out;
    }

    /** Decodes one message of exactly {@code length} bytes at {@code offset}. */
    public static Message decode(DirectBuffer buf, int offset, int length) {
        Reader r = new Reader(buf, offset, length);
        byte version = r.b();
        if (version != VERSION) {
            throw new IllegalArgumentException("unknown message format version " + version);
        }
        Message.Builder b = Message.builder(MessageType.fromCode(r.b()));
        b.from(r.l()).to(r.l()).term(r.l()).logTerm(r.l()).index(r.l()).commit(r.l()).rejectHint(r.l());
        byte rej = r.b();
        if (rej != 0 && rej != 1) {
            throw new IllegalArgumentException("bad reject flag " + rej);
        }
        b.reject(rej == 1);
        b.context(r.bytes());
        int n = r.count();
        List<Entry> entries = new ArrayList<>(Math.min(n, 1024));
        for (int i = 0; i < n; i++) {
            long idx = r.l();
            long term = r.l();
            EntryType type = EntryType.fromCode(r.b());
            entries.add(new Entry(idx, term, type, r.bytes()));
        }
        b.entries(entries);
        byte hasSnap = r.b();
        if (hasSnap == 1) {
            long idx = r.l();
            long term = r.l();
            Set<Long> voters = r.ids();
            Set<Long> learners = r.ids();
            b.snapshot(new SnapshotMeta(idx, term, new Membership(voters, learners)));
            b.snapshotOffset(r.l()).snapshotSize(r.l()).snapshotChecksum(r.i()).chunk(r.bytes());
        } else if (hasSnap != 0) {
            throw new IllegalArgumentException("bad snapshot flag " + hasSnap);
        }
        if (r.pos != offset + length) {
            throw new IllegalArgumentException("trailing bytes: " + (offset + length - r.pos));
        }
        return b.build();
    }

    private static int putLong(MutableDirectBuffer buf, int p, long v) {
        buf.putLong(p, v);
        return p + 8;
    }

    private static int putBytes(MutableDirectBuffer buf, int p, byte[] v) {
        buf.putInt(p, v.length);
        buf.putBytes(p + 4, v);
        return p + 4 + v.length;
    }

    private static int putIds(MutableDirectBuffer buf, int p, Set<Long> ids) {
        buf.putInt(p, ids.size());
        p += 4;
        for (long id : new TreeSet<>(ids)) {
            p = putLong(buf, p, id);
        }
        return p;
    }

    private static final class Reader {
        private final DirectBuffer buf;
        private final int end;
        private int pos;

        Reader(DirectBuffer buf, int offset, int length) {
            if (offset < 0 || length < 0 || (long) offset + length > buf.capacity()) {
                throw new IllegalArgumentException("bad range " + offset + "+" + length + " of " + buf.capacity());
            }
            this.buf = buf;
            this.pos = offset;
            this.end = offset + length;
        }

        private void need(int n) {
            if (n < 0 || end - pos < n) {
                throw new IllegalArgumentException("truncated message: need " + n + " bytes at " + pos);
            }
        }

        byte b() {
            need(1);
            return buf.getByte(pos++);
        }

        long l() {
            need(8);
            long v = buf.getLong(pos);
            pos += 8;
            return v;
        }

        int i() {
            need(4);
            int v = buf.getInt(pos);
            pos += 4;
            return v;
        }

        int count() {
            int n = i();
            if (n < 0 || n > MAX_ITEMS) {
                throw new IllegalArgumentException("bad count " + n);
            }
            return n;
        }

        byte[] bytes() {
            int n = i();
            need(n);
            byte[] out = new byte[n];
            buf.getBytes(pos, out);
            pos += n;
            return out;
        }

        Set<Long> ids() {
            int n = count();
            Set<Long> s = new TreeSet<>();
            for (int i = 0; i < n; i++) {
                s.add(l());
            }
            return s;
        }
    }
}
