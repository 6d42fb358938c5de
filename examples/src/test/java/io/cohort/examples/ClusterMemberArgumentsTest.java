package io.cohort.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** ClusterMember's command-line arguments: parsed in order, and bad ones rejected with what was wrong. */
class ClusterMemberArgumentsTest {

    @Test
    void parsesTheMembersInOrder() {
        assertThat(ClusterMember.parseMembers("1=127.0.0.1:7401, 2=10.0.0.2:7402,3=host-3:7403"))
                .containsExactly(Map.entry(1L, "127.0.0.1:7401"), Map.entry(2L, "10.0.0.2:7402"),
                        Map.entry(3L, "host-3:7403"));
        assertThat(ClusterMember.socketAddress("127.0.0.1:7401")).isEqualTo(new InetSocketAddress("127.0.0.1", 7401));
    }

    @Test
    void badArgumentsSayWhatIsWrong() {
        assertThatThrownBy(() -> ClusterMember.parseMemberId("0")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("> 0");
        assertThatThrownBy(() -> ClusterMember.parseMemberId("one")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'one'");
        assertThatThrownBy(() -> ClusterMember.parseMembers("1=127.0.0.1:7401,2")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'2'");
        assertThatThrownBy(() -> ClusterMember.parseMembers("1=nohost")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("HOST:PORT").hasMessageContaining("'nohost'");
        assertThatThrownBy(() -> ClusterMember.parseMembers("1=h:70000")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[1, 65535]");
        assertThatThrownBy(() -> ClusterMember.parseMembers("1=h:x")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'h:x'");
    }
}
