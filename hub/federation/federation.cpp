#include "hub/federation/federation.hpp"

#include <atomic>
#include <thread>

#include "common/asio/asio_timers.hpp"
#include "common/nats/nats_client.hpp"
#include "hub/federation/federation_receiver.hpp"
#include "hub/federation/pg_federation_store.hpp"
#include "hub/federation/summary_publisher.hpp"
#include "hub/store/pg_connection.hpp"
#include "hub/store/pg_pool.hpp"

namespace vitals::hub::federation {
namespace {

constexpr const char* kSummaryWildcard = "hub.*.health.summary";
// Messages waiting for the loop; beyond it new ones are dropped (reason "overload").
constexpr int kMaxQueued = 10000;

}  // namespace

struct Federation::Impl {
  Impl(std::string hub_id, std::string version, FederationSettings s, FederationDeps d)
      : settings(std::move(s)),
        deps(std::move(d)),
        timers(io),
        store(deps.pool),
        publisher(
            deps.state, deps.clock, timers,
            [this](const std::string& subject, std::string_view data) {
              return deps.bus.publish(subject, data);
            },
            [this]() -> Result<std::uint32_t> { return openIncidents(); },
            PublisherSettings{hub_id, std::move(version), settings.url, settings.summary_interval,
                              std::chrono::milliseconds{1000}},
            deps.registry, deps.logger,
            deps.active ? deps.active : std::function<bool()>([] { return true; })),
        receiver(hub_id, settings, deps.clock, timers, view, store, deps.registry, deps.logger,
                 deps.on_hub_status, deps.on_hub_change),
        overload(deps.registry.counter("vitals_federation_dropped_total",
                                       "Hub summaries dropped, by reason", "reason=\"overload\"")) {
  }

  Result<std::uint32_t> openIncidents() {
    auto lease = deps.pool.acquire(std::chrono::milliseconds{1000});
    if (!lease.ok()) {
      return lease.error();
    }
    auto r = lease->conn().exec("SELECT count(*) FROM alerts WHERE state = 'open'");
    if (!r.ok()) {
      return r.error();
    }
    return static_cast<std::uint32_t>(r->int64(0, 0));
  }

  FederationSettings settings;
  FederationDeps deps;
  boost::asio::io_context io;
  AsioTimers timers;
  GlobalView view;
  PgFederationStore store;
  SummaryPublisher publisher;
  FederationReceiver receiver;
  metrics::Counter& overload;
  std::atomic<int> queued{0};
  std::unique_ptr<nats::Subscription> subscription;
  std::thread thread;
  bool started = false;
};

Federation::Federation(std::string hub_id, std::string version, FederationSettings settings,
                       FederationDeps deps)
    : impl_(std::make_unique<Impl>(std::move(hub_id), std::move(version), std::move(settings),
                                   std::move(deps))) {}

Federation::~Federation() { stop(); }

status::TransitionSink& Federation::sink() { return impl_->publisher; }

const GlobalView& Federation::view() const { return impl_->view; }

Result<RemoteHub> Federation::announce(const std::string& id, const std::string& url,
                                       const std::string& version,
                                       const std::vector<std::string>& capabilities) {
  return impl_->receiver.announce(id, url, version, capabilities);
}

void Federation::start() {
  auto& m = *impl_;
  if (m.started) {
    return;
  }
  m.started = true;
  boost::asio::post(m.io, [&m] {
    m.receiver.start();
    m.publisher.start();
  });
  auto sub = m.deps.bus.subscribe(kSummaryWildcard, [&m](const nats::Subscription::Message& msg) {
    // NATS.c thread: hand over to the loop at once.
    if (m.queued.load() >= kMaxQueued) {
      m.overload.inc();
      return;
    }
    ++m.queued;
    boost::asio::post(m.io, [&m, subject = msg.subject, data = msg.data] {
      --m.queued;
      m.receiver.onMessage(subject, data);
    });
  });
  if (sub.ok()) {
    m.subscription = std::move(sub.value());
  } else {
    m.deps.logger->error("federation: cannot subscribe to {}: {}", kSummaryWildcard,
                         sub.error().describe());
  }
  m.thread = std::thread([&m] {
    auto work = boost::asio::make_work_guard(m.io);
    m.io.run();
  });
  m.deps.logger->info("federation: publishing every {} ms, listening on {}",
                      m.settings.summary_interval.count(), kSummaryWildcard);
}

void Federation::stop() {
  auto& m = *impl_;
  if (!m.started) {
    return;
  }
  m.started = false;
  m.subscription.reset();
  boost::asio::post(m.io, [&m] {
    m.publisher.stop();
    m.receiver.stop();
    m.io.stop();
  });
  m.thread.join();
}

}  // namespace vitals::hub::federation
