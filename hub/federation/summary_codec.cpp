#include "hub/federation/summary_codec.hpp"

#include "common/model/proto_time.hpp"
#include "vitals/v1/hub.pb.h"

namespace vitals::hub::federation {

std::string_view summaryStatus(HealthStatus status) {
  return status == HealthStatus::Healthy ? "up" : toString(status);
}

std::string encodeSummary(const HubSummary& s) {
  v1::HubSummary m;
  m.set_hub_id(s.hub_id);
  codec::setTime(m.mutable_timestamp(), s.timestamp);
  m.set_overall_status(s.overall_status);
  for (const auto& svc : s.services) {
    auto* o = m.add_services();
    o->set_name(svc.name);
    o->set_type(svc.type);
    o->set_status(std::string(summaryStatus(svc.status)));
    o->set_latency_ms(svc.latency_ms);
    o->set_version(svc.version);
    o->set_uptime_seconds(svc.uptime_seconds);
    o->set_endpoints_healthy(svc.endpoints_healthy);
    o->set_endpoints_total(svc.endpoints_total);
    for (const auto& e : svc.endpoints) {
      o->add_endpoints(e);
    }
  }
  m.set_version(s.version);
  m.set_agents_online(s.agents_online);
  m.set_agents_total(s.agents_total);
  m.set_open_incidents(s.open_incidents);
  m.set_full(s.full);
  m.set_sequence(s.sequence);
  for (const auto& r : s.removed_services) {
    m.add_removed_services(r);
  }
  m.set_service_count(s.service_count);
  m.set_url(s.url);
  if (s.summary_interval.count() > 0) {
    codec::setDuration(m.mutable_summary_interval(), s.summary_interval);
  }
  return m.SerializeAsString();
}

Result<HubSummary> decodeSummary(std::string_view bytes) {
  v1::HubSummary m;
  if (!m.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return Error{"federation.decode", "not a vitals.v1.HubSummary message", {}};
  }
  HubSummary s;
  s.hub_id = m.hub_id();
  if (m.has_timestamp()) {
    s.timestamp = codec::getTime(m.timestamp());
  }
  s.overall_status = m.overall_status();
  s.services.reserve(static_cast<std::size_t>(m.services_size()));
  for (const auto& o : m.services()) {
    ServiceSummary svc;
    svc.name = o.name();
    svc.type = o.type();
    const auto st = parseHealthStatus(o.status());
    if (!st) {
      return Error{"federation.decode",
                   "service \"" + o.name() + "\" has status \"" + o.status() +
                       "\" (not up, degraded, down or unknown)",
                   {}};
    }
    svc.status = *st;
    svc.latency_ms = o.latency_ms();
    svc.version = o.version();
    svc.uptime_seconds = o.uptime_seconds();
    svc.endpoints_healthy = o.endpoints_healthy();
    svc.endpoints_total = o.endpoints_total();
    svc.endpoints.assign(o.endpoints().begin(), o.endpoints().end());
    s.services.push_back(std::move(svc));
  }
  s.version = m.version();
  s.agents_online = m.agents_online();
  s.agents_total = m.agents_total();
  s.open_incidents = m.open_incidents();
  s.full = m.full();
  s.sequence = m.sequence();
  s.removed_services.assign(m.removed_services().begin(), m.removed_services().end());
  s.service_count = m.service_count();
  s.url = m.url();
  if (m.has_summary_interval()) {
    s.summary_interval = codec::getDuration<std::chrono::milliseconds>(m.summary_interval());
  }
  return s;
}

std::string encodeCatalogEvent(const CatalogEvent& e) {
  v1::ServiceCatalogEvent m;
  m.set_hub_id(e.hub_id);
  m.set_service(e.service);
  m.set_agent_id(e.agent_id);
  codec::setTime(m.mutable_at(), e.at);
  return m.SerializeAsString();
}

Result<CatalogEvent> decodeCatalogEvent(std::string_view bytes, CatalogChange change) {
  v1::ServiceCatalogEvent m;
  if (!m.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return Error{"federation.decode", "not a vitals.v1.ServiceCatalogEvent message", {}};
  }
  CatalogEvent e;
  e.change = change;
  e.hub_id = m.hub_id();
  e.service = m.service();
  e.agent_id = m.agent_id();
  if (m.has_at()) {
    e.at = codec::getTime(m.at());
  }
  return e;
}

}  // namespace vitals::hub::federation
