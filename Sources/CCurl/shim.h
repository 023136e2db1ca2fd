// libcurl (libcurl4-openssl-dev) for kevc's LLM agent: the only target that touches it. curl_easy_setopt and
// curl_easy_getinfo are variadic, which Swift cannot call, so this header wraps one whole POST in a function.
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

/// A growable byte buffer that stops growing at `limit` bytes (the rest of the reply is dropped and `truncated` set).
typedef struct {
  char *data;
  size_t size;
  size_t limit;
  int truncated;
} kevc_curl_buffer;

static size_t kevc_curl_write(char *ptr, size_t size, size_t nmemb, void *userdata) {
  kevc_curl_buffer *b = (kevc_curl_buffer *)userdata;
  size_t n = size * nmemb;
  size_t room = b->limit > b->size ? b->limit - b->size : 0;
  size_t take = n < room ? n : room;
  if (take < n) b->truncated = 1;
  if (take > 0) {
    char *grown = (char *)realloc(b->data, b->size + take + 1);
    if (!grown) return 0;
    b->data = grown;
    memcpy(b->data + b->size, ptr, take);
    b->size += take;
    b->data[b->size] = 0;
  }
  return n;
}

/// The outcome of one POST. `curl_code` is CURLE_OK when an HTTP status came back (any status).
typedef struct {
  int curl_code;
  long status;
  kevc_curl_buffer body;
  kevc_curl_buffer headers;
  char error[CURL_ERROR_SIZE];
  double seconds;
} kevc_curl_result;

static inline void kevc_curl_global_init(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

/// POSTs `body` to `url` with the given header lines ("Name: value"), within the connect and total timeouts
/// (milliseconds). The reply body and headers are kept up to `max_bytes` each. Free the result's buffers with
/// kevc_curl_result_free.
static inline void kevc_curl_post(const char *url, const char *const *headers, int header_count, const char *body,
                                  long body_length, long connect_timeout_ms, long total_timeout_ms, long max_bytes,
                                  kevc_curl_result *out) {
  memset(out, 0, sizeof(*out));
  out->body.limit = (size_t)max_bytes;
  out->headers.limit = 1 << 16;
  CURL *curl = curl_easy_init();
  if (!curl) {
    out->curl_code = CURLE_FAILED_INIT;
    strcpy(out->error, "cannot initialise libcurl");
    return;
  }
  struct curl_slist *list = NULL;
  for (int i = 0; i < header_count; i++) list = curl_slist_append(list, headers[i]);
  curl_easy_setopt(curl, CURLOPT_URL, url);
  curl_easy_setopt(curl, CURLOPT_POST, 1L);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, body_length);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, connect_timeout_ms);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, total_timeout_ms);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, kevc_curl_write);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &out->body);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, kevc_curl_write);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &out->headers);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, out->error);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "kevc-agent/0.1");
  out->curl_code = curl_easy_perform(curl);
  if (out->curl_code == CURLE_OK) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &out->status);
  curl_easy_getinfo(curl, CURLINFO_TOTAL_TIME, &out->seconds);
  if (out->error[0] == 0 && out->curl_code != CURLE_OK) {
    strncpy(out->error, curl_easy_strerror((CURLcode)out->curl_code), CURL_ERROR_SIZE - 1);
  }
  curl_slist_free_all(list);
  curl_easy_cleanup(curl);
}

static inline void kevc_curl_result_free(kevc_curl_result *r) {
  free(r->body.data);
  free(r->headers.data);
  r->body.data = NULL;
  r->headers.data = NULL;
}

static inline int kevc_curl_is_timeout(int code) { return code == CURLE_OPERATION_TIMEDOUT; }
static inline int kevc_curl_is_connect_failure(int code) {
  return code == CURLE_COULDNT_CONNECT || code == CURLE_COULDNT_RESOLVE_HOST || code == CURLE_COULDNT_RESOLVE_PROXY;
}
