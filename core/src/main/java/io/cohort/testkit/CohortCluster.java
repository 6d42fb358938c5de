package io.cohort.testkit;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Gives a JUnit 5 test a fresh {@link TestCluster} parameter of {@link #size()} members, closed after the test.
 * Put it on the test method, or on the class for every test.
 *
 * <pre>{@code
 * @Test
 * @CohortCluster(size = 3)
 * void survivesALeaderLoss(TestCluster cluster) { ... }
 * }</pre>
 */
@Target({ElementType.METHOD, ElementType.TYPE})
@Retention(RetentionPolicy.RUNTIME)
@ExtendWith(CohortClusterExtension.class)
public @interface CohortCluster {
    /** The number of members. */
    int size() default 3;
}
