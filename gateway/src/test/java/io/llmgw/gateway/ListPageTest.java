package io.llmgw.gateway;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ListPageTest {

    private record Item(String id, long createdAt) {
    }

    private final List<Item> items = List.of(new Item("a", 1), new Item("b", 3), new Item("c", 2), new Item("d", 3));

    @Test
    void shouldListNewestFirstAndGoOnAfterTheCursor() {
        final ListPage<Item> first = ListPage.of(items, Item::id, Item::createdAt, null, 2);
        assertEquals(List.of("d", "b"), first.items().stream().map(Item::id).toList());
        assertTrue(first.hasMore());
        final ListPage<Item> second = ListPage.of(items, Item::id, Item::createdAt, "b", 2);
        assertEquals(List.of("c", "a"), second.items().stream().map(Item::id).toList());
        assertFalse(second.hasMore());
    }

    @Test
    void shouldRefuseALimitOutsideItsRange() {
        assertInstanceOf(ListPage.Limit.Invalid.class, ListPage.limit("0", 20, 100));
        assertInstanceOf(ListPage.Limit.Invalid.class, ListPage.limit("101", 20, 100));
        assertInstanceOf(ListPage.Limit.Invalid.class, ListPage.limit("x", 20, 100));
        assertEquals(new ListPage.Limit.Valid(20), ListPage.limit(null, 20, 100));
    }
}
