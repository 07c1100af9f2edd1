/* model_api.h - Lets the examples name a compiled model's functions generically.
 *
 * `rnnc compile` prefixes every entry point with the model's name
 * (char_rnn_create, char_rnn_train_step, ...). The examples call them as
 * M(create), M(train_step), ... so the same source builds against any
 * compiled model: pass -DRNNC_MODEL=lstm -DRNNC_MODEL_HEADER='"lstm.h"'.
 * A real program would just call char_rnn_create() etc. directly.
 */
#ifndef MODEL_API_H
#define MODEL_API_H

#ifndef RNNC_MODEL
#define RNNC_MODEL char_rnn
#define RNNC_MODEL_HEADER "char_rnn.h"
#endif

#define RNNC_PASTE2(a, b) a##_##b
#define RNNC_PASTE(a, b) RNNC_PASTE2(a, b)
#define M(function) RNNC_PASTE(RNNC_MODEL, function)

#include RNNC_MODEL_HEADER

typedef M(context) model_context;

#endif
