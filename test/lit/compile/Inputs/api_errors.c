/* Every failure of the C API is a status code plus a message, never an
 * abort: calls out of order, bad arguments, bad files, bad token ids. */
#include "tiny.h"

#include <stdio.h>

#define REPORT(call)                                                          \
  do {                                                                        \
    int status = (call);                                                      \
    printf("%s -> %d: %s\n", #call, status, tiny_last_error(ctx));            \
  } while (0)

int main(int argc, char **argv) {
  tiny_context *ctx = tiny_create();
  float logits[TINY_VOCAB_SIZE], loss = 0;
  int32_t x[TINY_BATCH_SIZE * TINY_SEQ_LEN] = {0}, y[TINY_BATCH_SIZE * TINY_SEQ_LEN] = {0};
  int32_t ids[4];
  int64_t count = 0;
  double mean = 0;
  const char *text = NULL;
  if (!ctx || argc != 3)
    return 1;
  REPORT(tiny_step(ctx, 0, logits));
  REPORT(tiny_train_step(ctx, x, y, &loss));
  REPORT(tiny_train_epoch(ctx, &mean));
  REPORT(tiny_save(ctx, argv[1]));
  REPORT(tiny_load(ctx, "/no/such/file.ckpt"));
  REPORT(tiny_load(ctx, argv[2]));
  REPORT(tiny_init_params(ctx, 3));
  REPORT(tiny_step(ctx, TINY_VOCAB_SIZE, logits));
  REPORT(tiny_step(ctx, 1, NULL));
  x[5] = -1;
  REPORT(tiny_train_step(ctx, x, y, &loss));
  REPORT(tiny_set_training_data(ctx, ids, 0, 0));
  REPORT(tiny_set_learning_rate(ctx, -1.0));
  REPORT(tiny_encode(ctx, "the cat", 7, ids, 4, &count));
  REPORT(tiny_encode(ctx, "thé", 4, ids, 4, &count));
  REPORT(tiny_generate(ctx, "", 5, 0, 0, 0, &text));
  REPORT(tiny_generate(ctx, "the", 5, -1.0, 0, 0, &text));
  REPORT(tiny_save(ctx, "/no/such/dir/x.ckpt"));
  REPORT(tiny_step(ctx, 1, logits));
  printf("token 0 = '%s', token 99 = %s\n", tiny_token_text(ctx, 0),
         tiny_token_text(ctx, 99) ? "?" : "NULL");
  printf("null context: %d %s\n", tiny_init_params(NULL, 0), tiny_last_error(NULL));
  tiny_destroy(ctx);
  tiny_destroy(NULL);
  return 0;
}
