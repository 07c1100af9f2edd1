/* train.c - Train a compiled model from C.
 *
 *   train TEXT_FILE EPOCHS [SEED [CHECKPOINT]]
 *
 * Reads a UTF-8 text, turns newlines into spaces (as `rnnc train` does by
 * default), initialises the parameters with SEED, runs EPOCHS epochs with the
 * model's train block (optimizer, clipping, sampling, B, T) and prints each
 * epoch's mean loss and perplexity; with CHECKPOINT, saves the parameters in
 * the format `rnnc generate` reads. With the same seed the losses are those
 * `rnnc train --seed SEED --metrics-json` reports. The model was compiled
 * with `rnnc compile MODEL --data TEXT_FILE ...`, which fixes the vocabulary.
 */
#include "model_api.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The whole file, or NULL. */
static char *read_file(const char *path, long *size) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  char *text = NULL;
  if (fseek(f, 0, SEEK_END) == 0 && (*size = ftell(f)) >= 0 &&
      fseek(f, 0, SEEK_SET) == 0 && (text = malloc((size_t)*size + 1)) &&
      fread(text, 1, (size_t)*size, f) != (size_t)*size) {
    free(text);
    text = NULL;
  }
  fclose(f);
  return text;
}

int main(int argc, char **argv) {
  if (argc < 3 || argc > 5) {
    fprintf(stderr, "usage: %s TEXT_FILE EPOCHS [SEED [CHECKPOINT]]\n", argv[0]);
    return 2;
  }
  int epochs = atoi(argv[2]);
  unsigned long long seed = argc > 3 ? strtoull(argv[3], NULL, 10) : 0;
  long size = 0;
  char *text = read_file(argv[1], &size);
  if (!text) {
    fprintf(stderr, "train: cannot read '%s'\n", argv[1]);
    return 1;
  }
  for (long i = 0; i < size; ++i)
    if (text[i] == '\n' || text[i] == '\r')
      text[i] = ' ';
  /* A UTF-8 byte-order mark is not part of the text. */
  long skip = size >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;

  model_context *ctx = M(create)();
  int32_t *tokens = malloc(sizeof(int32_t) * (size_t)(size + 1));
  int64_t count = 0;
  int status = ctx && tokens ? 0 : 1;
  if (status == 0)
    status = M(encode)(ctx, text + skip, size - skip, tokens, size, &count);
  if (status == 0)
    status = M(init_params)(ctx, seed);
  if (status == 0)
    status = M(set_training_data)(ctx, tokens, count, seed);
  if (status == 0)
    printf("%s: %lld tokens, vocabulary %lld, %lld parameters, B=%lld T=%lld\n",
           M(model_name)(ctx), (long long)count, (long long)M(vocab_size)(ctx),
           (long long)M(num_params)(ctx), (long long)M(batch_size)(ctx),
           (long long)M(seq_len)(ctx));
  for (int epoch = 1; status == 0 && epoch <= epochs; ++epoch) {
    double loss = 0;
    status = M(train_epoch)(ctx, &loss);
    if (status == 0)
      printf("epoch %d loss %.17g perplexity %.6f\n", epoch, loss, exp(loss));
  }
  if (status == 0 && argc > 4)
    status = M(save)(ctx, argv[4]);
  if (status != 0)
    fprintf(stderr, "train: error: %s\n", ctx ? M(last_error)(ctx) : "out of memory");
  M(destroy)(ctx);
  free(tokens);
  free(text);
  return status == 0 ? 0 : 1;
}
