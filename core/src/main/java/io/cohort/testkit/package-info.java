/**
 * A test kit for applications that embed Cohort: {@link io.cohort.testkit.TestCluster} runs a group in one JVM on the
 * in-memory transport, with kill/restart and partitions; {@link io.cohort.testkit.CohortCluster} injects one into a
 * JUnit 5 test (JUnit is an optional dependency: add it to use the extension).
 */
package io.cohort.testkit;
