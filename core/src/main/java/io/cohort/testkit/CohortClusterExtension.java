package io.cohort.testkit;

import java.lang.reflect.AnnotatedElement;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Resolves {@link TestCluster} parameters for {@link CohortCluster}: starts the cluster and closes it (deleting its
 * data) when the test's extension context closes.
 */
public final class CohortClusterExtension implements ParameterResolver {
    private static final ExtensionContext.Namespace NAMESPACE =
            ExtensionContext.Namespace.create(CohortClusterExtension.class);

    /** Creates the extension (JUnit does, through {@link CohortCluster}). */
    public CohortClusterExtension() {
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == TestCluster.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        CohortCluster spec = find(context.getRequiredTestMethod());
        if (spec == null) {
            spec = find(context.getRequiredTestClass());
        }
        if (spec == null) {
            throw new ParameterResolutionException("a TestCluster parameter needs @CohortCluster on the test method or class");
        }
        int size = spec.size();
        // JUnit (5.13+) closes AutoCloseable values of the store when the test's context closes.
        return context.getStore(NAMESPACE)
                .getOrComputeIfAbsent("cluster", k -> TestCluster.start(size), TestCluster.class);
    }

    private static CohortCluster find(AnnotatedElement e) {
        return e.getAnnotation(CohortCluster.class);
    }
}
