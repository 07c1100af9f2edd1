/* Two compiled models in one program: no clashing symbols, independent
 * contexts. `tiny` and `char_rnn` were compiled with the same vocabulary. */
#include "char_rnn.h"
#include "tiny.h"

#include <stdio.h>

int main(void) {
  tiny_context *a = tiny_create();
  char_rnn_context *b = char_rnn_create();
  const char *text = NULL;
  if (!a || !b || tiny_init_params(a, 1) || char_rnn_init_params(b, 2))
    return 1;
  printf("%s V=%lld params=%lld\n", tiny_model_name(a),
         (long long)tiny_vocab_size(a), (long long)tiny_num_params(a));
  printf("%s V=%lld params=%lld\n", char_rnn_model_name(b),
         (long long)char_rnn_vocab_size(b), (long long)char_rnn_num_params(b));
  if (tiny_generate(a, "the ", 5, 0, 0, 0, &text))
    return 1;
  printf("tiny: [%s]\n", text);
  if (char_rnn_generate(b, "the ", 5, 0, 0, 0, &text))
    return 1;
  printf("char_rnn: [%s]\n", text);
  tiny_destroy(a);
  char_rnn_destroy(b);
  return 0;
}
