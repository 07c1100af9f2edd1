/* generate.c - Continue a prefix with a compiled model and a checkpoint.
 *
 *   generate CHECKPOINT PREFIX [COUNT [TEMPERATURE [TOP_K [SEED]]]]
 *
 * Prints what `rnnc generate CHECKPOINT --prefix PREFIX -n COUNT
 * --temperature T --top-k K --seed S` prints, byte for byte. The model was
 * compiled with `rnnc compile MODEL --from CHECKPOINT -o model.o --header
 * model.h` (see README.md); no LLVM and no rnnc tool are needed at run time.
 */
#include "model_api.h"

#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
  if (argc < 3 || argc > 7) {
    fprintf(stderr, "usage: %s CHECKPOINT PREFIX [COUNT [TEMPERATURE [TOP_K [SEED]]]]\n",
            argv[0]);
    return 2;
  }
  long long count = argc > 3 ? atoll(argv[3]) : 50;
  double temperature = argc > 4 ? atof(argv[4]) : 0.0;
  long long top_k = argc > 5 ? atoll(argv[5]) : 0;
  unsigned long long seed = argc > 6 ? strtoull(argv[6], NULL, 10) : 0;

  model_context *ctx = M(create)();
  if (!ctx) {
    fprintf(stderr, "generate: out of memory\n");
    return 1;
  }
  const char *text = NULL;
  int status = M(load)(ctx, argv[1]);
  if (status == 0)
    status = M(generate)(ctx, argv[2], count, temperature, top_k, seed, &text);
  if (status != 0) {
    fprintf(stderr, "generate: error: %s\n", M(last_error)(ctx));
    M(destroy)(ctx);
    return 1;
  }
  printf("%s\n", text);
  M(destroy)(ctx);
  return 0;
}
