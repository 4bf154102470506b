// Reference gRPC C++ server for scripts/bench-rpc.sh: the fixture's Echo service
// (Tests/CodegenTests/Fixtures/echo.proto), unary `Get` and server-streaming `Expand` only.
//
// Usage: echo-server-cpp <port>
// Prints `listening <port>` once it accepts connections; stops when standard input closes or
// on SIGTERM/SIGINT.
//
// Uses the asynchronous completion-queue API with one completion queue drained by one thread:
// the shape gRPC's own C++ benchmarks use for throughput, and a fair match for a server pinned
// to one core. The service's other methods are never requested, so calls to them are not
// answered (they wait for their deadline): this server exists for the benchmark only.

#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <mutex>
#include <pthread.h>
#include <string>
#include <thread>
#include <unistd.h>

#include <grpcpp/grpcpp.h>

#include "echo.grpc.pb.h"

namespace {

using metachat::fixture::v1::EchoRequest;
using metachat::fixture::v1::EchoResponse;
using metachat::fixture::v1::EchoService;

// Serialises "may I request another call?" against "shutting down", so no call is requested
// on the completion queue after it has been shut down.
std::mutex g_shutdown_mutex;
bool g_shutting_down = false;

class Call {
 public:
  virtual ~Call() = default;
  // Advances the call's state machine; `ok` is the completion queue's verdict for the last op.
  virtual void Proceed(bool ok) = 0;
};

template <typename CallType>
void RequestNext(EchoService::AsyncService* service, grpc::ServerCompletionQueue* cq) {
  std::lock_guard<std::mutex> lock(g_shutdown_mutex);
  if (!g_shutting_down) new CallType(service, cq);
}

void Echo(const EchoRequest& request, int index, EchoResponse* response) {
  response->set_text(request.text());
  response->set_index(index);
  *response->mutable_labels() = request.labels();
  *response->mutable_request() = request;
}

class GetCall final : public Call {
 public:
  GetCall(EchoService::AsyncService* service, grpc::ServerCompletionQueue* cq)
      : service_(service), cq_(cq), responder_(&context_) {
    service_->RequestGet(&context_, &request_, &responder_, cq_, cq_, this);
  }

  void Proceed(bool ok) override {
    if (state_ == State::kRequested) {
      if (!ok) {  // the server is shutting down
        delete this;
        return;
      }
      RequestNext<GetCall>(service_, cq_);
      Echo(request_, 0, &response_);
      state_ = State::kFinishing;
      responder_.Finish(response_, grpc::Status::OK, this);
    } else {
      delete this;
    }
  }

 private:
  enum class State { kRequested, kFinishing };
  EchoService::AsyncService* service_;
  grpc::ServerCompletionQueue* cq_;
  grpc::ServerContext context_;
  EchoRequest request_;
  EchoResponse response_;
  grpc::ServerAsyncResponseWriter<EchoResponse> responder_;
  State state_ = State::kRequested;
};

class ExpandCall final : public Call {
 public:
  ExpandCall(EchoService::AsyncService* service, grpc::ServerCompletionQueue* cq)
      : service_(service), cq_(cq), writer_(&context_) {
    service_->RequestExpand(&context_, &request_, &writer_, cq_, cq_, this);
  }

  void Proceed(bool ok) override {
    switch (state_) {
      case State::kRequested:
        if (!ok) {
          delete this;
          return;
        }
        RequestNext<ExpandCall>(service_, cq_);
        state_ = State::kWriting;
        WriteNextOrFinish();
        return;
      case State::kWriting:
        if (!ok) {  // the stream is gone (client cancelled or connection closed)
          state_ = State::kFinishing;
          writer_.Finish(grpc::Status::CANCELLED, this);
          return;
        }
        WriteNextOrFinish();
        return;
      case State::kFinishing:
        delete this;
        return;
    }
  }

 private:
  enum class State { kRequested, kWriting, kFinishing };

  void WriteNextOrFinish() {
    if (next_index_ < request_.repeat()) {
      response_.Clear();
      Echo(request_, next_index_, &response_);
      response_.set_event_id(std::to_string(next_index_));
      response_.set_echoed(request_.text());
      ++next_index_;
      writer_.Write(response_, this);
    } else {
      state_ = State::kFinishing;
      writer_.Finish(grpc::Status::OK, this);
    }
  }

  EchoService::AsyncService* service_;
  grpc::ServerCompletionQueue* cq_;
  grpc::ServerContext context_;
  EchoRequest request_;
  EchoResponse response_;
  grpc::ServerAsyncWriter<EchoResponse> writer_;
  State state_ = State::kRequested;
  int next_index_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  int port = argc > 1 ? std::atoi(argv[1]) : 0;

  // Block the stop signals in every thread (gRPC's included); a dedicated thread sigwaits.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  EchoService::AsyncService service;
  grpc::ServerBuilder builder;
  int selected_port = 0;
  builder.AddListeningPort("127.0.0.1:" + std::to_string(port), grpc::InsecureServerCredentials(),
                           &selected_port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::ServerCompletionQueue> cq = builder.AddCompletionQueue();
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server || selected_port == 0) {
    std::cerr << "echo-server-cpp: could not listen on port " << port << std::endl;
    return 1;
  }

  // A few outstanding requests per method so back-to-back arrivals never wait for a re-arm.
  for (int i = 0; i < 16; ++i) {
    new GetCall(&service, cq.get());
    new ExpandCall(&service, cq.get());
  }

  std::atomic<bool> stop_requested{false};
  std::mutex stop_mutex;
  auto stop = [&]() {
    if (stop_requested.exchange(true)) return;
    {
      std::lock_guard<std::mutex> lock(g_shutdown_mutex);
      g_shutting_down = true;
    }
    server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
    cq->Shutdown();
  };

  std::thread signal_thread([&]() {
    int signal_number = 0;
    sigwait(&stop_signals, &signal_number);
    stop();
  });
  signal_thread.detach();
  std::thread stdin_thread([&]() {
    char buffer[256];
    while (read(STDIN_FILENO, buffer, sizeof buffer) > 0) {
    }
    stop();
  });
  stdin_thread.detach();

  std::printf("listening %d\n", selected_port);
  std::fflush(stdout);

  void* tag = nullptr;
  bool ok = false;
  while (cq->Next(&tag, &ok)) {
    static_cast<Call*>(tag)->Proceed(ok);
  }
  // The completion queue is drained: every call has been deleted.
  std::_Exit(0);
}
