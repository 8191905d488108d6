// The peer for `make bench`: Bolt for JavaScript verifying Slack's request
// signature and answering the slash command with a fixed text.
const { App } = require('@slack/bolt');

const app = new App({
  token: 'xoxb-bench',
  signingSecret: process.env.SLACK_SIGNING_SECRET,
  // No auth.test call (there is no Slack here): with verification off, Bolt
  // still calls it lazily unless the bot's ids are given.
  tokenVerificationEnabled: false,
  botId: 'BBENCH',
  botUserId: 'UBENCHBOT',
  logLevel: 'error',
});

app.command('/account', async ({ ack }) => {
  await ack({ response_type: 'ephemeral', text: 'Acme Analytics — Tier 1 — health: 20' });
});

(async () => {
  await app.start(Number(process.env.PORT || 3100));
  console.log('bolt peer listening on', process.env.PORT);
})();
