package io.cohort.raft;

import java.nio.ByteBuffer;
import java.util.HashSet;
import java.util.Set;
import java.util.TreeSet;

/**
 * One membership change, carried in a {@link EntryType#CONFIG_CHANGE} entry. Changes are applied one
 * at a time when their entry is applied, so consecutive voter sets differ by at most one member and
 * their majorities always overlap. {@link Type#BOOTSTRAP} sets the initial membership (log index 1).
 *
 * @param type the kind of change
 * @param nodeId the member changed (0 for bootstrap)
 * @param bootstrap the initial membership for {@link Type#BOOTSTRAP}, else null
 */
public record ConfChange(Type type, long nodeId, Membership bootstrap) {

    /** The kind of change. */
    public enum Type {
        /** Initial membership written identically by every founding member at index 1. */
        BOOTSTRAP,
        /** Add a voter (not yet a member). */
        ADD_VOTER,
        /** Remove a voter. */
        REMOVE_VOTER,
        /** Add a learner (not yet a member). */
        ADD_LEARNER,
        /** Turn a learner into a voter. */
        PROMOTE_LEARNER,
        /** Remove a learner. */
        REMOVE_LEARNER
    }

    /** A single-member change. */
    public static ConfChange of(Type type, long nodeId) {
        if (type == Type.BOOTSTRAP) {
            throw new IllegalArgumentException("use bootstrap(membership)");
        }
        if (nodeId <= 0) {
            throw new IllegalArgumentException("node ID must be > 0: " + nodeId);
        }
        return new ConfChange(type, nodeId, null);
    }

    /** The initial-membership change. */
    public static ConfChange bootstrap(Membership membership) {
        return new ConfChange(Type.BOOTSTRAP, 0, membership);
    }

    /** True if this change is allowed on {@code m} (it changes something and keeps one voter). */
    public boolean validFor(Membership m) {
        switch (type) {
            case BOOTSTRAP: return m.voters().isEmpty() && m.learners().isEmpty();
            case ADD_VOTER: return !m.contains(nodeId);
            case REMOVE_VOTER: return m.voters().contains(nodeId) && m.voters().size() > 1;
            case ADD_LEARNER: return !m.contains(nodeId);
            case PROMOTE_LEARNER: return m.learners().contains(nodeId);
            case REMOVE_LEARNER: return m.learners().contains(nodeId);
            default: throw new AssertionError(type);
        }
    }

    /** The membership after applying this change to {@code m} (idempotent; invalid changes are no-ops). */
    public Membership applyTo(Membership m) {
        if (type == Type.BOOTSTRAP) {
            return bootstrap;
        }
        Set<Long> voters = new HashSet<>(m.voters());
        Set<Long> learners = new HashSet<>(m.learners());
        switch (type) {
            case ADD_VOTER:
                learners.remove(nodeId);
                voters.add(nodeId);
                break;
            case REMOVE_VOTER:
                if (voters.size() > 1) {
                    voters.remove(nodeId);
                }
                break;
            case ADD_LEARNER:
                if (!voters.contains(nodeId)) {
                    learners.add(nodeId);
                }
                break;
            case PROMOTE_LEARNER:
                if (learners.remove(nodeId)) {
                    voters.add(nodeId);
                }
                break;
            case REMOVE_LEARNER:
                learners.remove(nodeId);
                break;
            default:
                throw new AssertionError(type);
        }
        return new Membership(voters, learners);
    }

    /** Encodes this change as an entry payload. */
    public byte[] encode() {
        if (type == Type.BOOTSTRAP) {
            Set<Long> v = new TreeSet<>(bootstrap.voters());
            Set<Long> l = new TreeSet<>(bootstrap.learners());
            ByteBuffer b = ByteBuffer.allocate(1 + 4 + 8 * v.size() + 4 + 8 * l.size());
            b.put((byte) type.ordinal());
            b.putInt(v.size());
            v.forEach(b::putLong);
            b.putInt(l.size());
            l.forEach(b::putLong);
            return b.array();
        }
        return ByteBuffer.allocate(9).put((byte) type.ordinal()).putLong(nodeId).array();
    }

    /** Decodes an entry payload written by {@link #encode()}. */
    public static ConfChange decode(byte[] data) {
        ByteBuffer b = ByteBuffer.wrap(data);
        Type t = Type.values()[b.get()];
        if (t == Type.BOOTSTRAP) {
            Set<Long> v = new TreeSet<>();
            for (int i = b.getInt(); i > 0; i--) {
                v.add(b.getLong());
            }
            Set<Long> l = new TreeSet<>();
            for (int i = b.getInt(); i > 0; i--) {
                l.add(b.getLong());
            }
            return bootstrap(new Membership(v, l));
        }
        return of(t, b.getLong());
    }
}
