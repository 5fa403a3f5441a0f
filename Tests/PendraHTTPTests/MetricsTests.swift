import Foundation
import XCTest
@testable import PendraHTTP

final class MetricsTests: XCTestCase {
    func testCounterRendersHelpTypeAndSortedLabels() {
        let m = Metrics()
        let c = m.httpRequests(route: "/v1/chat/completions", method: "POST", status: 200)
        c.inc()
        c.inc(by: 2)
        c.inc(by: -5)   // ignored: counters only go up
        XCTAssertEqual(m.render(), """
        # HELP pendra_http_requests_total HTTP requests answered, by route pattern, method and status
        # TYPE pendra_http_requests_total counter
        pendra_http_requests_total{method="POST",route="/v1/chat/completions",status="200"} 3

        """)
    }

    func testHandlesAreSharedPerSeries() {
        let m = Metrics()
        m.promptTokens(model: "a").inc(by: 10)
        m.promptTokens(model: "a").inc(by: 5)
        m.promptTokens(model: "b").inc(by: 1)
        XCTAssertTrue(m.promptTokens(model: "a") === m.promptTokens(model: "a"))
        XCTAssertEqual(m.promptTokens(model: "a").value, 15)
        let text = m.render()
        XCTAssertTrue(text.contains("pendra_prompt_tokens_total{model=\"a\"} 15\n"), text)
        XCTAssertTrue(text.contains("pendra_prompt_tokens_total{model=\"b\"} 1\n"), text)
        XCTAssertEqual(text.components(separatedBy: "# TYPE pendra_prompt_tokens_total").count, 2, "one family header")
    }

    func testGaugesAndUnlabelledSeries() {
        let m = Metrics()
        let open = m.openConnections()
        open.inc()
        open.inc()
        open.dec()
        m.modelGauge(Metrics.GaugeName.kvCellsTotal, model: "m").set(4096)
        m.gauge("pendra_test_ratio", help: "r").set(0.25)
        let text = m.render()
        XCTAssertTrue(text.contains("# TYPE pendra_open_connections gauge\npendra_open_connections 1\n"), text)
        XCTAssertTrue(text.contains("pendra_kv_cells_total{model=\"m\"} 4096\n"), text)
        XCTAssertTrue(text.contains("pendra_test_ratio 0.25\n"), text)
    }

    func testGaugeCallbacksAreReadAtScrapeTimeAndCanBeRemoved() {
        let m = Metrics()
        let source = MetricGauge()
        m.registerGaugeCallback(Metrics.GaugeName.kvCellsUsed, help: "used", labels: ["model": "m"]) { source.value }
        source.set(7)
        XCTAssertTrue(m.render().contains("pendra_kv_cells_used{model=\"m\"} 7\n"))
        source.set(9)
        XCTAssertTrue(m.render().contains("pendra_kv_cells_used{model=\"m\"} 9\n"))
        m.registerGaugeCallback(Metrics.GaugeName.kvCellsUsed, help: "used", labels: ["model": "m"]) { 1 }
        XCTAssertTrue(m.render().contains("pendra_kv_cells_used{model=\"m\"} 1\n"), "re-registering replaces")
        m.remove(Metrics.GaugeName.kvCellsUsed, labels: ["model": "m"])
        XCTAssertFalse(m.render().contains("pendra_kv_cells_used{"))
    }

    func testHistogramBucketsAreCumulativeWithInfSumAndCount() {
        let m = Metrics()
        let h = m.histogram("pendra_test_seconds", help: "t", labels: ["model": "x"], buckets: [1, 0.1, 0.5])
        for v in [0.0625, 0.09375, 0.25, 0.75, 2, 5] { h.observe(v) }
        h.observe(.nan)   // ignored
        XCTAssertEqual(m.render(), """
        # HELP pendra_test_seconds t
        # TYPE pendra_test_seconds histogram
        pendra_test_seconds_bucket{model="x",le="0.1"} 2
        pendra_test_seconds_bucket{model="x",le="0.5"} 3
        pendra_test_seconds_bucket{model="x",le="1"} 4
        pendra_test_seconds_bucket{model="x",le="+Inf"} 6
        pendra_test_seconds_sum{model="x"} 8.15625
        pendra_test_seconds_count{model="x"} 6

        """)
    }

    func testUnlabelledHistogramAndStandardBuckets() {
        let m = Metrics()
        let plain = m.histogram("pendra_plain", help: "p", buckets: [1])
        plain.observe(3)
        plain.observe(1)   // a value equal to a bound falls in that bucket (le = less or equal)
        XCTAssertTrue(m.render().contains("pendra_plain_bucket{le=\"1\"} 1\npendra_plain_bucket{le=\"+Inf\"} 2\npendra_plain_sum 4\npendra_plain_count 2\n"), m.render())
        let ttft = m.timeToFirstToken(model: "m")
        ttft.observe(0.02)
        XCTAssertEqual(ttft.bounds, Metrics.Buckets.timeToFirstToken)
        let text = m.render()
        XCTAssertTrue(text.contains("pendra_time_to_first_token_seconds_bucket{model=\"m\",le=\"0.01\"} 0\n"), text)
        XCTAssertTrue(text.contains("pendra_time_to_first_token_seconds_bucket{model=\"m\",le=\"0.025\"} 1\n"), text)
        m.interTokenLatency(model: "m").observe(0.001)
        m.batchSizeTokens(model: "m").observe(512)
        m.requestDuration(route: "/v1/models").observe(0.004)
        let all = m.render()
        for family in ["pendra_inter_token_latency_seconds", "pendra_batch_size_tokens", "pendra_request_duration_seconds"] {
            XCTAssertTrue(all.contains("# TYPE \(family) histogram\n"), family)
            XCTAssertTrue(all.contains("\(family)_count{"), family)
        }
        XCTAssertTrue(all.contains("pendra_batch_size_tokens_bucket{model=\"m\",le=\"512\"} 1\n"), all)
    }

    func testLabelValuesAndHelpAreEscaped() {
        let m = Metrics()
        m.counter("pendra_esc_total", help: "a \\ back\nslash", labels: ["model": "a\"b\\c\nd"]).inc()
        let text = m.render()
        XCTAssertTrue(text.contains("# HELP pendra_esc_total a \\\\ back\\nslash\n"), text)
        XCTAssertTrue(text.contains(#"pendra_esc_total{model="a\"b\\c\nd"} 1"#), text)
    }

    func testNumberFormatting() {
        XCTAssertEqual(PrometheusText.number(3), "3")
        XCTAssertEqual(PrometheusText.number(-2), "-2")
        XCTAssertEqual(PrometheusText.number(0.005), "0.005")
        XCTAssertEqual(PrometheusText.number(.infinity), "+Inf")
        XCTAssertEqual(PrometheusText.number(-.infinity), "-Inf")
        XCTAssertEqual(PrometheusText.number(.nan), "NaN")
        XCTAssertEqual(PrometheusText.number(1e20), "1e+20")
    }

    func testNameValidation() {
        XCTAssertTrue(PrometheusText.isValidMetricName("pendra_x:y_total"))
        XCTAssertFalse(PrometheusText.isValidMetricName("9x"))
        XCTAssertFalse(PrometheusText.isValidMetricName("a-b"))
        XCTAssertFalse(PrometheusText.isValidMetricName(""))
        XCTAssertTrue(PrometheusText.isValidLabelName("model"))
        XCTAssertFalse(PrometheusText.isValidLabelName("__reserved"))
        XCTAssertFalse(PrometheusText.isValidLabelName("a:b"))
    }

    func testConcurrentUpdatesAreNotLost() {
        let m = Metrics()
        DispatchQueue.concurrentPerform(iterations: 8) { i in
            let c = m.completionTokens(model: "m")
            let h = m.histogram("pendra_conc", help: "c", buckets: [0.5])
            for _ in 0..<1000 {
                c.inc()
                h.observe(Double(i % 2))
            }
        }
        XCTAssertEqual(m.completionTokens(model: "m").value, 8000)
        let snap = m.histogram("pendra_conc", help: "c", buckets: [0.5]).snapshot()
        XCTAssertEqual(snap.count, 8000)
        XCTAssertEqual(snap.cumulative, [4000, 8000])
        XCTAssertEqual(snap.sum, 4000)
    }
}
