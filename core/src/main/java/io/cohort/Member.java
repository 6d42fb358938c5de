package io.cohort;

/**
 * A member of the group.
 *
 * @param id the member ID
 * @param address its address if this node knows it (initial members, members added through this node), else null
 * @param learner true for a learner (receives the log, does not vote)
 */
public record Member(long id, String address, boolean learner) {
}
