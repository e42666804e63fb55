/* Growable arrays: room for one more or for a count, doubling, overflow
 * refused with ENOMEM and the array left as it was. */
#include <stdint.h>
#include <stdlib.h>

#include "base/array.h"
#include "check.h"

TEST(grow_makes_room_for_one_more_doubling_from_four)
{
    int *v = NULL;
    size_t n = 0, cap = 0;
    size_t caps[10];
    for (int i = 0; i < 10; i++) {
        CHECK(VSS_GROW(v, cap, n, NULL) == VSS_OK);
        CHECK(cap > n);
        v[n++] = i * i;
        caps[i] = cap;
    }
    CHECK_EQ_U64(caps[0], 4);
    CHECK_EQ_U64(caps[3], 4);
    CHECK_EQ_U64(caps[4], 8);
    CHECK_EQ_U64(caps[9], 16);
    for (int i = 0; i < 10; i++)
        CHECK(v[i] == i * i);
    free(v);
}

TEST(grow_keeps_the_array_while_there_is_room)
{
    char *v = NULL;
    size_t cap = 0;
    CHECK(VSS_GROW(v, cap, 0, NULL) == VSS_OK);
    char *before = v;
    CHECK(VSS_GROW(v, cap, 3, NULL) == VSS_OK);
    CHECK(v == before && cap == 4);
    free(v);
}

TEST(grow_to_reaches_the_count_in_one_step)
{
    uint64_t *v = NULL;
    size_t cap = 0;
    CHECK(VSS_GROW_TO(v, cap, 100, NULL) == VSS_OK);
    CHECK_EQ_U64(cap, 128);
    v[99] = 7;
    CHECK(VSS_GROW_TO(v, cap, 50, NULL) == VSS_OK);
    CHECK_EQ_U64(cap, 128);
    CHECK(VSS_GROW_TO(v, cap, 129, NULL) == VSS_OK);
    CHECK_EQ_U64(cap, 256);
    CHECK_EQ_U64(v[99], 7);
    free(v);
}

TEST(overflow_is_enomem_and_leaves_the_array)
{
    struct big {
        char b[1 << 16];
    } *v = NULL;
    size_t cap = 0;
    CHECK(VSS_GROW(v, cap, 0, NULL) == VSS_OK);
    struct big *before = v;
    vss_error e;
    CHECK(VSS_GROW_TO(v, cap, SIZE_MAX / 4, &e) == VSS_FAIL);
    CHECK_CODE(e.code, ENOMEM);
    CHECK(v == before && cap == 4);
    CHECK(vss_grow((void **)&v, &cap, SIZE_MAX, sizeof *v, &e) == VSS_FAIL);
    CHECK_CODE(e.code, ENOMEM);
    CHECK(VSS_GROW_TO(v, cap, SIZE_MAX, NULL) == VSS_FAIL);
    CHECK(v == before && cap == 4);
    free(v);
}

RUN_TESTS("test_array", T(grow_makes_room_for_one_more_doubling_from_four),
          T(grow_keeps_the_array_while_there_is_room), T(grow_to_reaches_the_count_in_one_step),
          T(overflow_is_enomem_and_leaves_the_array))
