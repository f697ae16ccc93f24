/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "skip.h"

#include "qemu/pci-tree.h"

/* What `vmrun devices` prints: the guest's PCI tree from QMP query-pci,
 * the GPU and its audio function below the root port vmrun puts them on. */

/* query-pci of a q35 guest after SeaBIOS numbered the buses (QEMU 7.2;
 * regions and IRQs left out): the root port rp-gpu with the GPU (gpu) and
 * its audio function (gpu-fn1) behind it. */
static const char laptop_guest[] =
        "[{\"bus\": 0, \"devices\": ["
        "{\"bus\": 0, \"qdev_id\": \"\", \"slot\": 0, \"class_info\": {\"class\": 1536, \"desc\": \"Host bridge\"},"
        " \"id\": {\"device\": 10688, \"vendor\": 32902}, \"function\": 0},"
        "{\"bus\": 0, \"pci_bridge\": {\"bus\": {\"secondary\": 1, \"number\": 0, \"subordinate\": 1}, \"devices\": ["
        "  {\"bus\": 1, \"qdev_id\": \"gpu\", \"slot\": 0, \"class_info\": {\"class\": 768, \"desc\": \"VGA controller\"},"
        "   \"id\": {\"device\": 4369, \"vendor\": 4660}, \"function\": 0},"
        "  {\"bus\": 1, \"qdev_id\": \"gpu-fn1\", \"slot\": 0, \"class_info\": {\"class\": 1027, \"desc\": \"Audio controller\"},"
        "   \"id\": {\"device\": 10558, \"vendor\": 32902}, \"function\": 1}]},"
        " \"qdev_id\": \"rp-gpu\", \"slot\": 28, \"class_info\": {\"class\": 1540, \"desc\": \"PCI bridge\"},"
        " \"id\": {\"device\": 12, \"vendor\": 6966}, \"function\": 0},"
        "{\"bus\": 0, \"qdev_id\": \"\", \"slot\": 31, \"class_info\": {\"class\": 262, \"desc\": \"SATA controller\"},"
        " \"id\": {\"device\": 10530, \"vendor\": 32902}, \"function\": 2}]}]";

static char *print_tree(const char *query_pci, const char *hosts_json, int *ret) {
        json_t *buses = json_loads(query_pci, 0, NULL), *hosts = hosts_json ? json_loads(hosts_json, 0, NULL) : NULL;
        char *out = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&out, &size);

        assert_non_null(buses);
        assert_non_null(f);
        *ret = pci_tree_print(buses, hosts, f);
        assert_int_equal(fclose(f), 0);
        json_decref(buses);
        json_decref(hosts);
        return out;
}

static void test_the_gpu_and_its_audio_function_appear_below_their_root_port(void **state) {
        int r;
        char *out = print_tree(laptop_guest, "{\"gpu\": \"0000:01:00.0\", \"gpu-fn1\": \"0000:01:00.1\"}", &r);

        assert_int_equal(r, 0);
        assert_string_equal(out,
                            "bus 00\n"
                            "├─ 00:00.0  8086:29c0  Host bridge\n"
                            "├─ 00:1c.0  1b36:000c  PCI bridge  [rp-gpu]  → bus 01\n"
                            "│  ├─ 01:00.0  1234:1111  VGA controller  [gpu]  ← host 0000:01:00.0 (vfio-pci)\n"
                            "│  └─ 01:00.1  8086:293e  Audio controller  [gpu-fn1]  ← host 0000:01:00.1 (vfio-pci)\n"
                            "└─ 00:1f.2  8086:2922  SATA controller\n");
        free(out);
}

static void test_without_host_addresses_the_ids_are_shown(void **state) {
        int r;
        char *out = print_tree(laptop_guest, NULL, &r);

        assert_int_equal(r, 0);
        assert_non_null(strstr(out, "│  ├─ 01:00.0  1234:1111  VGA controller  [gpu]\n"));
        free(out);
}

/* Paused before its firmware ran (-S), a guest's bridges have bus 0
 * behind them and QEMU lists nothing there: said, not shown as empty. */
static void test_a_bridge_the_firmware_has_not_numbered_says_so(void **state) {
        int r;
        char *out = print_tree("[{\"bus\": 0, \"devices\": [{\"bus\": 0, \"slot\": 28, \"function\": 0, \"qdev_id\": \"rp-gpu\","
                               " \"class_info\": {\"class\": 1540, \"desc\": \"PCI bridge\"}, \"id\": {\"device\": 12, \"vendor\": 6966},"
                               " \"pci_bridge\": {\"bus\": {\"secondary\": 0, \"number\": 0, \"subordinate\": 0}}}]}]",
                               NULL, &r);

        assert_int_equal(r, 0);
        assert_string_equal(out, "bus 00\n"
                                 "└─ 00:1c.0  1b36:000c  PCI bridge  [rp-gpu]  → no bus number yet (the guest's "
                                 "firmware gives it one)\n");
        free(out);
}

static void test_a_class_without_description_is_shown_by_number(void **state) {
        int r;
        char *out = print_tree("[{\"bus\": 0, \"devices\": [{\"bus\": 0, \"slot\": 3, \"function\": 0,"
                               " \"class_info\": {\"class\": 65280}, \"id\": {\"device\": 1, \"vendor\": 4660}}]}]",
                               NULL, &r);

        assert_int_equal(r, 0);
        assert_string_equal(out, "bus 00\n└─ 00:03.0  1234:0001  class ff00\n");
        free(out);
}

static void test_a_reply_of_another_shape_is_refused(void **state) {
        int r;

        free(print_tree("{\"bus\": 0}", NULL, &r));
        assert_int_equal(r, -EBADMSG);
        free(print_tree("[{\"bus\": 0, \"devices\": [{\"bus\": 0}]}]", NULL, &r));
        assert_int_equal(r, -EBADMSG);
        free(print_tree("[{\"bus\": 0, \"devices\": {}}]", NULL, &r));
        assert_int_equal(r, -EBADMSG);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_the_gpu_and_its_audio_function_appear_below_their_root_port),
                cmocka_unit_test(test_without_host_addresses_the_ids_are_shown),
                cmocka_unit_test(test_a_bridge_the_firmware_has_not_numbered_says_so),
                cmocka_unit_test(test_a_class_without_description_is_shown_by_number),
                cmocka_unit_test(test_a_reply_of_another_shape_is_refused),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
