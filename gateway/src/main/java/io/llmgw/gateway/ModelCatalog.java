package io.llmgw.gateway;

import io.llmgw.schemas.ModelRoute;

import java.util.List;
import java.util.Optional;

/** The models clients may ask for, as the gateway currently knows them. */
public interface ModelCatalog {

    Optional<ModelRoute> find(String model);

    /** Every known model, sorted by name. */
    List<ModelRoute> all();

    /** True once the catalog has read the registry up to where it stood at start-up. */
    boolean isLoaded();
}
