-- The dispatchers' wake-up NOTIFY fired once per statement that *could* insert deliveries, rows
-- or not: every usage update (its statement has a fan-out INSERT that is nearly always empty)
-- took NOTIFY's database-wide lock at commit, so all usage updates committed one at a time.
-- Per row, it fires only when a delivery is really owed (PostgreSQL folds the repeated
-- notifications of one transaction into one).
DROP TRIGGER "webhook_deliveries_notify" ON "webhook_deliveries";

CREATE TRIGGER "webhook_deliveries_notify" AFTER INSERT ON "webhook_deliveries"
  FOR EACH ROW EXECUTE FUNCTION "notify_webhook_deliveries"();
