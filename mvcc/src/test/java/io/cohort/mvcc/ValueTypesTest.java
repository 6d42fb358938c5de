package io.cohort.mvcc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** Bytes compare as unsigned and stay immutable; the config checks its limits. */
class ValueTypesTest {
    @Test
    void bytesAreUnsignedAndImmutable() {
        Bytes ff = Bytes.wrap(new byte[] {(byte) 0xff});
        Bytes one = Bytes.wrap(new byte[] {1});
        assertThat(ff.compareTo(one)).isPositive();
        assertThat(Bytes.ofUtf8("a").compareTo(Bytes.ofUtf8("a\0"))).isNegative();
        assertThat(Bytes.EMPTY.compareTo(Bytes.wrap(new byte[] {0}))).isNegative();
        byte[] src = {1, 2, 3};
        Bytes copy = Bytes.copyOf(src);
        src[0] = 9;
        assertThat(copy.byteAt(0)).isEqualTo((byte) 1);
        byte[] out = copy.toByteArray();
        out[1] = 9;
        assertThat(copy.byteAt(1)).isEqualTo((byte) 2);
        assertThat(copy).isEqualTo(Bytes.wrap(new byte[] {1, 2, 3})).hasSameHashCodeAs(Bytes.wrap(new byte[] {1, 2, 3}));
        assertThat(Bytes.wrap(new byte[] {'a', 0, (byte) 0xff}).toString()).isEqualTo("a\\x00\\xff");
        assertThat(Bytes.ofUtf8("abc").startsWith(Bytes.ofUtf8("ab"))).isTrue();
    }

    @Test
    void configDefaultsAreEtcdsAndLimitsAreChecked() {
        KeyspaceConfig d = KeyspaceConfig.defaults();
        assertThat(d.maxRequestBytes()).isEqualTo(1_572_864);
        assertThat(d.maxTxnOps()).isEqualTo(128);
        assertThat(d.quotaBytes()).isEqualTo(2L << 30);
        assertThat(d.minLeaseTtlSeconds()).isEqualTo(2);
        assertThat(d.mapSizeBytes()).isGreaterThanOrEqualTo(d.quotaBytes());
        assertThatThrownBy(() -> KeyspaceConfig.builder().maxTxnOps(0).build())
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> KeyspaceConfig.builder().quotaBytes(100).mapSizeBytes(50).build())
                .hasMessageContaining("mapSizeBytes");
    }

    @Test
    void encodedSizesFollowProtobuf() {
        // the errors scenario: a 2,200,000-byte value for key "big" is a 2,200,010-byte PutRequest
        PutRequest p = PutRequest.of(Bytes.ofUtf8("big"), Bytes.wrap(new byte[2_200_000]));
        assertThat(EncodedSize.grpcMessageBytes(p)).isEqualTo(2_200_010);
        assertThat(EncodedSize.raftRequestBytes(p)).isGreaterThan(2_200_010);
        assertThat(EncodedSize.grpcMessageBytes(new LeaseRevokeRequest(-1))).isEqualTo(11);
    }
}
