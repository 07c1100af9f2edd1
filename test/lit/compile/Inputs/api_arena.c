/* When a compiled function's working memory (arena) cannot be had, the C API
 * returns its memory status with a reason, and nothing is written. */
#include "tiny.h"

#include <stdio.h>

int main(void) {
  tiny_context *ctx = tiny_create();
  float logits[TINY_VOCAB_SIZE] = {0}, loss = -7;
  int32_t x[TINY_BATCH_SIZE * TINY_SEQ_LEN] = {0}, y[TINY_BATCH_SIZE * TINY_SEQ_LEN] = {0};
  if (!ctx || tiny_init_params(ctx, 1) != TINY_OK)
    return 1;
  int status = tiny_train_step(ctx, x, y, &loss);
  printf("train_step -> %d (memory %d): %s\n", status, TINY_ERROR_MEMORY,
         tiny_last_error(ctx));
  status = tiny_step(ctx, 1, logits);
  printf("step -> %d: %s\n", status, tiny_last_error(ctx));
  printf("logits[0] = %g\n", logits[0]);
  tiny_destroy(ctx);
  return 0;
}
