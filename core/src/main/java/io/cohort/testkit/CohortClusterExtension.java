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
        return context.getStore(NAMESPACE)
                .getOrComputeIfAbsent("cluster", k -> new Closing(TestCluster.start(size)), Closing.class).cluster;
    }

    private static CohortCluster find(AnnotatedElement e) {
        return e.getAnnotation(CohortCluster.class);
    }

    /** Closes the cluster when JUnit closes the store. */
    private static final class Closing implements ExtensionContext.Store.CloseableResource, AutoCloseable {
        final TestCluster cluster;

        Closing(TestCluster cluster) {
            this.cluster = cluster;
        }

        @Override
        public void close() {
            cluster.close();
        }
    }
}
