/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "fake-root.h"
#include "vfct-table.h"

#include "host/host.h"
#include "host/vfct.h"

#define APU "0000:03:00.0"

static Vfct *parse(const uint8_t *table, size_t size) {
        Vfct *v = NULL;

        assert_int_equal(vfct_parse(table, size, &v), 0);
        assert_non_null(v);
        return v;
}

/* The table of `specs`, walked. */
static Vfct *walk(const VfctSpec *specs, size_t n) {
        size_t size;
        _cleanup_free_ uint8_t *t = vfct_table(specs, n, &size);

        return parse(t, size);
}

static const VfctImage *found(const Vfct *v, const char *address, uint16_t vendor, uint16_t device) {
        const VfctImage *im = NULL;

        assert_int_equal(vfct_find(v, address, vendor, device, &im), 0);
        assert_non_null(im);
        return im;
}

/* ---- which image is the device's ---- */

static void test_the_one_image_for_the_device_is_found_with_its_bytes(void **state) {
        const VfctSpec one[] = { { RADEON_680M, .length = 64 * 1024 } };
        _cleanup_vfct_ Vfct *v = walk(one, 1);
        const VfctImage *im = found(v, APU, 0x1002, 0x1681);

        assert_int_equal(v->n_images, 1);
        assert_false(v->truncated);
        assert_int_equal(im->header_offset, VFCT_TABLE_IMAGES);
        assert_int_equal(im->offset, VFCT_TABLE_IMAGES + VFCT_IMAGE_HEADER_SIZE);
        assert_int_equal(im->length, 64 * 1024);
        assert_int_equal(im->subsystem_vendor, 0x17aa);
        assert_int_equal(im->subsystem_device, 0x3c33);
        assert_true(vfct_image_is(v->data + im->offset, 0, im->length));
}

static void test_of_two_images_the_second_is_taken_when_it_is_the_device_s(void **state) {
        const VfctSpec two[] = {
                { .bus = 0x01, .vendor = 0x1002, .device = 0x73ef, .length = 4096 }, /* a discrete Radeon first */
                { RADEON_680M, .length = 8192 },
        };
        _cleanup_vfct_ Vfct *v = walk(two, 2);
        const VfctImage *im = found(v, APU, 0x1002, 0x1681);

        assert_int_equal(v->n_images, 2);
        assert_ptr_equal(im, v->images + 1);
        assert_int_equal(im->offset, VFCT_TABLE_IMAGES + 2 * VFCT_IMAGE_HEADER_SIZE + 4096);
        assert_int_equal(im->length, 8192);
        assert_true(vfct_image_is(v->data + im->offset, 1, 8192));
        /* and the first is the discrete GPU's */
        im = found(v, "0000:01:00.0", 0x1002, 0x73ef);
        assert_ptr_equal(im, v->images);
}

static void test_an_image_for_another_device_or_vendor_id_is_not_taken(void **state) {
        const VfctSpec one[] = { { RADEON_680M, .length = 4096 } };
        _cleanup_vfct_ Vfct *v = walk(one, 1);
        const VfctImage *im = NULL;

        assert_int_equal(vfct_find(v, APU, 0x1002, 0x15bf, &im), -ENXIO);
        assert_int_equal(vfct_find(v, APU, 0x10de, 0x1681, &im), -ENXIO);
        assert_null(im);
}

static void test_an_image_at_another_bus_device_or_function_is_not_taken(void **state) {
        const VfctSpec one[] = { { RADEON_680M, .length = 4096 } };
        _cleanup_vfct_ Vfct *v = walk(one, 1);
        const VfctImage *im = NULL;

        assert_int_equal(vfct_find(v, "0000:04:00.0", 0x1002, 0x1681, &im), -ENXIO);
        assert_int_equal(vfct_find(v, "0000:03:01.0", 0x1002, 0x1681, &im), -ENXIO);
        assert_int_equal(vfct_find(v, "0000:03:00.1", 0x1002, 0x1681, &im), -ENXIO);
        assert_null(im);
}

/* amdgpu compares the bus number alone: the table has no PCI domain */
static void test_the_pci_domain_is_not_compared(void **state) {
        const VfctSpec one[] = { { RADEON_680M, .length = 4096 } };
        _cleanup_vfct_ Vfct *v = walk(one, 1);

        found(v, "0001:03:00.0", 0x1002, 0x1681);
}

static void test_an_image_of_length_zero_is_never_the_device_s(void **state) {
        const VfctSpec two[] = { { RADEON_680M, .length = 0 }, { RADEON_680M, .length = 1024 } };
        _cleanup_vfct_ Vfct *v = walk(two, 2);
        const VfctImage *im = found(v, APU, 0x1002, 0x1681);

        assert_int_equal(v->n_images, 2);
        assert_ptr_equal(im, v->images + 1);
}

static void test_a_table_without_images_has_none_for_the_device(void **state) {
        _cleanup_vfct_ Vfct *v = walk(NULL, 0);
        const VfctImage *im = NULL;

        assert_int_equal(v->n_images, 0);
        assert_int_equal(vfct_find(v, APU, 0x1002, 0x1681, &im), -ENXIO);
}

static void test_an_address_that_is_not_canonical_is_einval(void **state) {
        _cleanup_vfct_ Vfct *v = walk(NULL, 0);
        const VfctImage *im = NULL;

        assert_int_equal(vfct_find(v, "03:00.0", 0x1002, 0x1681, &im), -EINVAL);
        assert_int_equal(vfct_find(v, "../../0000:03:00.0", 0x1002, 0x1681, &im), -EINVAL);
}

/* ---- truncated images, as amdgpu refuses them ---- */

static void test_an_image_running_past_the_table_end_is_refused(void **state) {
        const VfctSpec cut[] = { { RADEON_680M, .length = 4096, .claimed_length = 4097 } };
        _cleanup_vfct_ Vfct *v = walk(cut, 1);
        const VfctImage *im = NULL;

        assert_int_equal(v->n_images, 0);
        assert_true(v->truncated);
        assert_int_equal(v->truncated_at, VFCT_TABLE_IMAGES);
        assert_int_equal(vfct_find(v, APU, 0x1002, 0x1681, &im), -EBADMSG);
        assert_null(im);
}

static void test_an_image_length_near_4_gib_is_truncated_not_wrapped_around(void **state) {
        const VfctSpec cut[] = { { RADEON_680M, .length = 4096, .claimed_length = UINT32_MAX - 20 } };
        _cleanup_vfct_ Vfct *v = walk(cut, 1);

        assert_int_equal(v->n_images, 0);
        assert_true(v->truncated);
}

/* amdgpu's walk ends at a truncated image, so the images after it are
 * never looked at; those before it were */
static void test_the_walk_stops_at_a_truncated_image_but_takes_one_before_it(void **state) {
        const VfctSpec two[] = {
                { RADEON_680M, .length = 2048 },
                { .bus = 0x01, .vendor = 0x1002, .device = 0x73ef, .length = 4096, .claimed_length = 8192 },
        };
        _cleanup_vfct_ Vfct *v = walk(two, 2);
        const VfctImage *im = NULL;

        assert_int_equal(v->n_images, 1);
        assert_true(v->truncated);
        assert_int_equal(v->truncated_at, VFCT_TABLE_IMAGES + VFCT_IMAGE_HEADER_SIZE + 2048);
        found(v, APU, 0x1002, 0x1681);
        assert_int_equal(vfct_find(v, "0000:01:00.0", 0x1002, 0x73ef, &im), -EBADMSG);
}

static void test_an_image_header_cut_by_the_table_end_is_truncated(void **state) {
        const VfctSpec one[] = { { RADEON_680M, .length = 1024 } };
        size_t size;
        _cleanup_free_ uint8_t *t = vfct_table(one, 1, &size), *longer = calloc(1, size + 27);
        _cleanup_vfct_ Vfct *v = NULL;

        /* 27 bytes more in the table: one short of an image header */
        assert_non_null(longer);
        memcpy(longer, t, size);
        vfct_put32(longer + 4, (uint32_t) size + 27);
        v = parse(longer, size + 27);
        assert_int_equal(v->n_images, 1);
        assert_true(v->truncated);
        assert_int_equal(v->truncated_at, size);
}

/* ---- what is no VFCT table ---- */

static void test_a_table_shorter_than_its_fixed_part_or_its_length_is_no_vfct_table(void **state) {
        size_t size;
        _cleanup_free_ uint8_t *t = vfct_table(NULL, 0, &size);
        Vfct *v = NULL;

        assert_int_equal(size, VFCT_HEADER_SIZE);
        assert_int_equal(vfct_parse(t, size - 1, &v), -EBADMSG);
        vfct_put32(t + 4, (uint32_t) size + 1);
        assert_int_equal(vfct_parse(t, size, &v), -EBADMSG);
        vfct_put32(t + 4, (uint32_t) size - 1);
        assert_int_equal(vfct_parse(t, size, &v), -EBADMSG);
        vfct_put32(t + 4, (uint32_t) size);
        memcpy(t, "FACP", 4);
        assert_int_equal(vfct_parse(t, size, &v), -EBADMSG);
        assert_int_equal(vfct_parse(t, 0, &v), -EBADMSG);
        assert_null(v);
}

/* the sysfs file is as long as the table, but the length field is what
 * amdgpu goes by */
static void test_bytes_after_the_table_length_are_not_the_table_s(void **state) {
        const VfctSpec one[] = { { RADEON_680M, .length = 1024 } };
        size_t size;
        _cleanup_free_ uint8_t *t = vfct_table(one, 1, &size), *longer = calloc(1, size + 100);
        _cleanup_vfct_ Vfct *v = NULL;

        assert_non_null(longer);
        memcpy(longer, t, size);
        memset(longer + size, 0xff, 100);
        v = parse(longer, size + 100);
        assert_int_equal(v->size, size);
        assert_int_equal(v->n_images, 1);
        assert_false(v->truncated);
}

/* ---- the host's table ---- */

static void test_the_table_is_read_from_the_acpi_tables_in_sysfs(void **state) {
        FakeRoot *f = *state;
        HostContext ctx = { .root = f->dir };
        const VfctSpec one[] = { { RADEON_680M, .length = 4096 } };
        size_t size;
        _cleanup_free_ uint8_t *t = vfct_table(one, 1, &size);
        _cleanup_vfct_ Vfct *v = NULL;

        fake_file_bytes(f, VFCT_PATH, t, size);
        assert_int_equal(vfct_read(&ctx, &v), 0);
        assert_int_equal(v->n_images, 1);
        assert_true(vfct_image_is(v->data + found(v, APU, 0x1002, 0x1681)->offset, 0, 4096));
}

static void test_a_host_without_the_table_is_enoent(void **state) {
        FakeRoot *f = *state;
        HostContext ctx = { .root = f->dir };
        Vfct *v = NULL;

        fake_dir(f, "/sys/firmware/acpi/tables");
        assert_int_equal(vfct_read(&ctx, &v), -ENOENT);
        assert_null(v);
}

static void test_a_symlink_in_the_table_s_place_is_not_followed(void **state) {
        FakeRoot *f = *state;
        HostContext ctx = { .root = f->dir };
        const VfctSpec one[] = { { RADEON_680M, .length = 4096 } };
        size_t size;
        _cleanup_free_ uint8_t *t = vfct_table(one, 1, &size);
        _cleanup_free_ char *elsewhere = fake_path(f, "/tmp/VFCT");
        Vfct *v = NULL;

        fake_file_bytes(f, "/tmp/VFCT", t, size);
        fake_link(f, VFCT_PATH, elsewhere);
        assert_int_equal(vfct_read(&ctx, &v), -ELOOP);
        assert_null(v);
}

static void test_a_file_that_is_no_vfct_table_is_ebadmsg(void **state) {
        FakeRoot *f = *state;
        HostContext ctx = { .root = f->dir };
        Vfct *v = NULL;

        fake_file(f, VFCT_PATH, "not an ACPI table\n");
        assert_int_equal(vfct_read(&ctx, &v), -EBADMSG);
        assert_null(v);
}

static void test_an_image_is_named_by_its_bus_device_function_and_ids(void **state) {
        VfctImage im = { RADEON_680M };
        _cleanup_free_ char *s = NULL;

        assert_int_equal(vfct_image_describe(&im, &s), 0);
        assert_string_equal(s, "03:00.0 1002:1681");
}

#define TEST(name) cmocka_unit_test(name)
#define TEST_ROOT(name) cmocka_unit_test_setup_teardown(name, fake_root_setup, fake_root_teardown)

int main(void) {
        const struct CMUnitTest tests[] = {
                TEST(test_the_one_image_for_the_device_is_found_with_its_bytes),
                TEST(test_of_two_images_the_second_is_taken_when_it_is_the_device_s),
                TEST(test_an_image_for_another_device_or_vendor_id_is_not_taken),
                TEST(test_an_image_at_another_bus_device_or_function_is_not_taken),
                TEST(test_the_pci_domain_is_not_compared),
                TEST(test_an_image_of_length_zero_is_never_the_device_s),
                TEST(test_a_table_without_images_has_none_for_the_device),
                TEST(test_an_address_that_is_not_canonical_is_einval),
                TEST(test_an_image_running_past_the_table_end_is_refused),
                TEST(test_an_image_length_near_4_gib_is_truncated_not_wrapped_around),
                TEST(test_the_walk_stops_at_a_truncated_image_but_takes_one_before_it),
                TEST(test_an_image_header_cut_by_the_table_end_is_truncated),
                TEST(test_a_table_shorter_than_its_fixed_part_or_its_length_is_no_vfct_table),
                TEST(test_bytes_after_the_table_length_are_not_the_table_s),
                TEST_ROOT(test_the_table_is_read_from_the_acpi_tables_in_sysfs),
                TEST_ROOT(test_a_host_without_the_table_is_enoent),
                TEST_ROOT(test_a_symlink_in_the_table_s_place_is_not_followed),
                TEST_ROOT(test_a_file_that_is_no_vfct_table_is_ebadmsg),
                TEST(test_an_image_is_named_by_its_bus_device_function_and_ids),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
