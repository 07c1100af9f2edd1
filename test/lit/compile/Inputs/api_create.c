/* rnnc_capi_create says why it returned NULL through last_error(NULL). */
#include "rnnc_capi.h"

#include <stdio.h>

static int32_t entry(void **args, void **results) {
  (void)args;
  (void)results;
  return 0;
}

static void report(const char *what, const rnnc_model_descriptor *d) {
  rnnc_capi_context *ctx = rnnc_capi_create(d);
  printf("%s: %s: %s\n", what, ctx ? "context" : "NULL", rnnc_capi_last_error(NULL));
  rnnc_capi_destroy(ctx);
}

int main(void) {
  rnnc_model_descriptor d = {1, "{}", entry, entry};
  printf("before: %s\n", rnnc_capi_last_error(NULL));
  report("old object", &d);
  d.abi_version = RNNC_CAPI_ABI_VERSION;
  d.model_json = "{not json";
  report("bad json", &d);
  d.model_json = "{}";
  report("incomplete", &d);
  report("null", NULL);
  return 0;
}
