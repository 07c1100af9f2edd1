/*===- rnnc_capi.h - The runtime behind `rnnc compile`'s objects -*- C -*-===*/
/**
 * \file
 * The ABI between an object written by `rnnc compile` and the static runtime
 * library `rnnc_capi`. Users never include this: they include the header
 * `rnnc compile --header` writes, whose `<prefix>_*` functions are defined in
 * the object and forward to the `rnnc_capi_*` functions below. The object
 * carries one descriptor (internal linkage): the compiled `@forward`
 * (B = T = 1) and `@train_step` entry points and a JSON description of the
 * model (parameters, initialisers, states, dimensions, vocabulary, train
 * block, source). Keeping the model-specific part in the object and the
 * generic part here lets any number of compiled models link into one
 * program. The entry points are described once, in rnnc_capi.def.
 */
#ifndef RNNC_CAPI_H
#define RNNC_CAPI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Bumped whenever the descriptor or a signature below changes.
 * 2: the entries return a status (0, or 1 when their arena cannot be had);
 *    last_error(NULL) says why create returned NULL. */
#define RNNC_CAPI_ABI_VERSION 2

/** Returns 0, or 1 (nothing read or written) when its working memory cannot
 * be allocated. */
typedef int32_t (*rnnc_capi_entry)(void **args, void **results);

typedef struct rnnc_model_descriptor {
  int64_t abi_version;     /**< RNNC_CAPI_ABI_VERSION */
  const char *model_json;  /**< NUL-terminated */
  rnnc_capi_entry forward; /**< params, states, x[1,1] -> logits, states */
  /** params, states, x, y -> loss, states, grads */
  rnnc_capi_entry train_step;
} rnnc_model_descriptor;

typedef struct rnnc_capi_context rnnc_capi_context;

/* Status codes (the generated header names them <PREFIX>_OK, ...). */
#define RNNC_CAPI_OK 0
#define RNNC_CAPI_ERROR_ARGUMENT 1
#define RNNC_CAPI_ERROR_IO 2
#define RNNC_CAPI_ERROR_NUMERIC 3
#define RNNC_CAPI_ERROR_MEMORY 4

/* The entry points, listed with their documentation in rnnc_capi.def.
 * rnnc_capi_create returns NULL on failure; rnnc_capi_last_error(NULL) then
 * says why (per thread). */
#define RNNC_CAPI_FUNCTION(Result, name, Params, Doc)                          \
  Result rnnc_capi_##name Params;
#include "rnnc_capi.def"

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* RNNC_CAPI_H */
