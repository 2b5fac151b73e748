package io.llmgw.gateway;

import io.llmgw.schemas.ModelRoute;
import io.llmgw.schemas.Topics;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/** A fixed model catalog. */
final class FakeModels implements ModelCatalog {

    private final Map<String, ModelRoute> routes = new TreeMap<>();
    private volatile boolean loaded = true;

    static FakeModels of(final String... models) {
        final FakeModels fake = new FakeModels();
        final Topics topics = new Topics(Topics.DEFAULT_PREFIX);
        Arrays.stream(models).forEach(model ->
                fake.routes.put(model, new ModelRoute(model, topics.modelRequestsName(model), "tests", 1_700_000_000L)));
        return fake;
    }

    void loaded(final boolean value) {
        loaded = value;
    }

    @Override
    public Optional<ModelRoute> find(final String model) {
        return Optional.ofNullable(routes.get(model));
    }

    @Override
    public List<ModelRoute> all() {
        return List.copyOf(routes.values());
    }

    @Override
    public boolean isLoaded() {
        return loaded;
    }
}
