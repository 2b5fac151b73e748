package io.llmgw.topology;

import io.llmgw.settings.TopicAdmin;
import io.llmgw.settings.TopicAdmin.TopicLayout;
import org.apache.kafka.clients.admin.Admin;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Creates a route's topic with the configured model partition count when it is missing. Runs on the router's global
 * thread for each registry record: a topic already confirmed is not asked for again, so a restart that replays the
 * registry costs one admin call per model.
 */
final class AdminRouteTopics implements RouteTopics, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(AdminRouteTopics.class);

    private final Admin admin;
    private final TopicLayout layout;
    private final Duration timeout;
    private final Set<String> confirmed = ConcurrentHashMap.newKeySet();

    AdminRouteTopics(final Admin admin, final TopicLayout layout, final Duration timeout) {
        this.admin = admin;
        this.layout = layout;
        this.timeout = timeout;
    }

    @Override
    public boolean ensure(final String topic) {
        if (confirmed.contains(topic)) {
            return true;
        }
        try {
            TopicAdmin.ensure(admin, layout, List.of(TopicAdmin.Spec.of(topic, layout.modelPartitions())), timeout);
            confirmed.add(topic);
            return true;
        } catch (final IllegalStateException e) {
            LOG.warn("model topic {} is missing and cannot be created: {}", topic, e.getMessage());
            return false;
        }
    }

    @Override
    public void close() {
        admin.close(Duration.ZERO);
    }
}
