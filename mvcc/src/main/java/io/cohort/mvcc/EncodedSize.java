package io.cohort.mvcc;

import io.cohort.mvcc.internal.ProtoSize;

/** Sizes of requests in etcd's protobuf encoding, used for the request size limit. */
public final class EncodedSize {
    private EncodedSize() {
    }

    /** The size of {@code request} as the gRPC message a client sends (e.g. {@code PutRequest}). */
    public static long grpcMessageBytes(WriteRequest request) {
        return ProtoSize.message(request);
    }

    /**
     * The size etcd compares with {@code --max-request-bytes}: the request wrapped in an
     * {@code InternalRaftRequest} with a request header holding a 64-bit request ID.
     */
    public static long raftRequestBytes(WriteRequest request) {
        return ProtoSize.raftRequest(request);
    }
}
