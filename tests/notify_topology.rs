//! The broker objects of notifications equal the Pika driver's (spec §4.3.3, §4.3.4),
//! read back with `rabbitmqctl`.

mod common;

use common::{bindings_to_prefix, queues_with_prefix, rabbitmqctl, transport_with, unique};
use serde_json::json;
use warren::{
    Context, ListenerOptions, NotificationEndpoint, NotificationListener, NotificationResult,
    Priority, Target,
};

/// `type durable auto_delete` of exchange `name`.
fn exchange_row(name: &str) -> String {
    rabbitmqctl(&["list_exchanges", "name", "type", "durable", "auto_delete"])
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{name}\t")).map(str::to_owned))
        .unwrap_or_else(|| panic!("exchange {name} is not declared"))
}

fn endpoint() -> NotificationEndpoint {
    NotificationEndpoint::new()
        .on(Priority::Info, |_| async { NotificationResult::Handled })
        .on(Priority::Error, |_| async { NotificationResult::Handled })
}

fn sorted(mut rows: Vec<String>) -> Vec<String> {
    rows.sort();
    rows
}

#[actix_rt::test]
async fn a_listener_declares_one_queue_per_topic_and_priority() {
    for persistent in [false, true] {
        let exchange = unique("ntopo-x");
        let t = transport_with(&unique("notify-topology"), |b| {
            b.notification_persistence(persistent)
                .default_notification_exchange(&exchange)
        });
        let topic = unique("ntopo");
        let l = NotificationListener::start(
            &t,
            &[Target::new(&topic)],
            vec![endpoint()],
            ListenerOptions::default(),
        )
        .unwrap();
        l.ready().await.unwrap();
        let d = persistent.to_string();
        assert_eq!(exchange_row(&exchange), format!("direct\t{d}\ttrue"));
        // name, durable, auto_delete, exclusive, arguments: no x-expires.
        assert_eq!(
            sorted(queues_with_prefix(&topic)),
            vec![
                format!("{topic}.error\t{d}\tfalse\tfalse\t[]"),
                format!("{topic}.info\t{d}\tfalse\tfalse\t[]"),
            ]
        );
        assert_eq!(
            sorted(bindings_to_prefix(&topic)),
            vec![
                format!("{exchange}\t{topic}.error\t{topic}.error"),
                format!("{exchange}\t{topic}.info\t{topic}.info"),
            ]
        );
        l.stop().await;
        for p in ["info", "error"] {
            rabbitmqctl(&["delete_queue", &format!("{topic}.{p}")]);
        }
        t.close().await;
    }
}

#[actix_rt::test]
async fn a_pool_is_one_queue_bound_once_per_topic_and_priority() {
    let t = transport_with(&unique("notify-topology-pool"), |b| b);
    let (t1, t2) = (unique("ntopo-a"), unique("ntopo-b"));
    let pool = unique("ntopo-pool");
    let l = NotificationListener::start(
        &t,
        &[Target::new(&t1), Target::new(&t2)],
        vec![endpoint()],
        ListenerOptions::default().pool(&pool),
    )
    .unwrap();
    l.ready().await.unwrap();
    assert_eq!(
        queues_with_prefix(&pool),
        vec![format!("{pool}\tfalse\tfalse\tfalse\t[]")]
    );
    assert!(queues_with_prefix(&t1).is_empty() && queues_with_prefix(&t2).is_empty());
    let ex = "openstack_notification";
    assert_eq!(
        sorted(bindings_to_prefix(&pool)),
        sorted(vec![
            format!("{ex}\t{pool}\t{t1}.error"),
            format!("{ex}\t{pool}\t{t1}.info"),
            format!("{ex}\t{pool}\t{t2}.error"),
            format!("{ex}\t{pool}\t{t2}.info"),
        ])
    );
    l.stop().await;
    rabbitmqctl(&["delete_queue", &pool]);
}

#[actix_rt::test]
async fn a_sender_with_no_listener_declares_the_routing_key_queue() {
    let exchange = unique("ntopo-sender-x");
    let t = transport_with(&unique("notify-topology-sender"), |b| {
        b.default_notification_exchange(&exchange)
    });
    let topic = unique("ntopo-s");
    t.notifier("p")
        .with_topics([topic.as_str()])
        .critical(&Context::new(), "stored", &json!(1))
        .await
        .unwrap();
    assert_eq!(exchange_row(&exchange), "direct\tfalse\ttrue");
    assert_eq!(
        queues_with_prefix(&topic),
        vec![format!("{topic}.critical\tfalse\tfalse\tfalse\t[]")]
    );
    assert_eq!(
        bindings_to_prefix(&topic),
        vec![format!("{exchange}\t{topic}.critical\t{topic}.critical")]
    );
    rabbitmqctl(&["delete_queue", &format!("{topic}.critical")]);
}
