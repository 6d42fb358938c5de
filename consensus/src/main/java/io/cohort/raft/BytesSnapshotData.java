package io.cohort.raft;

import java.util.Arrays;
import java.util.zip.CRC32C;

/** A snapshot held in one byte array ({@link SnapshotData#ofBytes}). */
final class BytesSnapshotData implements SnapshotData {
    private final byte[] bytes;
    private final int checksum;

    BytesSnapshotData(byte[] bytes) {
        this.bytes = bytes;
        CRC32C crc = new CRC32C();
        crc.update(bytes);
        this.checksum = (int) crc.getValue();
    }

    @Override
    public long sizeBytes() {
        return bytes.length;
    }

    @Override
    public int checksum() {
        return checksum;
    }

    @Override
    public void read(long offset, byte[] dst, int dstOffset, int length) {
        SnapshotData.checkRange(bytes.length, offset, dst, dstOffset, length);
        System.arraycopy(bytes, (int) offset, dst, dstOffset, length);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof BytesSnapshotData b && Arrays.equals(bytes, b.bytes);
    }

    @Override
    public int hashCode() {
        return checksum;
    }

    @Override
    public String toString() {
        return bytes.length + "B crc " + Integer.toHexString(checksum);
    }
}
