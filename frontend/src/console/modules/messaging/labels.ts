/** Chinese labels of messaging codes (kept in step with qifu/messaging/models.py). */

type Tag = { label: string; type: 'success' | 'info' | 'warning' | 'danger' | 'primary' }

export const CHANNELS: Record<string, string> = { inapp: '站内信', sms: '短信', wechat: '微信', email: '邮件' }

export const SEND_STATUS: Record<string, Tag> = {
  scheduled: { label: '待发送', type: 'warning' },
  queued: { label: '排队中', type: 'info' },
  running: { label: '发送中', type: 'primary' },
  completed: { label: '已完成', type: 'success' },
  partial: { label: '部分失败', type: 'warning' },
  cancelled: { label: '已取消', type: 'info' },
  failed: { label: '失败', type: 'danger' },
}

export const SEND_KIND: Record<string, string> = { manual: '人工发送', event: '事件推送', verification: '验证码' }

export const DELIVERY_STATE: Record<string, Tag> = {
  queued: { label: '排队中', type: 'info' },
  sending: { label: '发送中', type: 'primary' },
  sent: { label: '已发送', type: 'success' },
  delivered: { label: '已送达', type: 'success' },
  failed: { label: '失败', type: 'danger' },
  skipped: { label: '已跳过', type: 'warning' },
  cancelled: { label: '已取消', type: 'info' },
}

export const SEGMENT_KINDS: Record<string, string> = {
  all_enterprises: '全部企业',
  industry: '按行业',
  town: '按镇街',
  role: '按角色',
  users: '指定用户',
  phones: '上传手机号名单',
  credit_codes: '上传信用代码名单',
}

export const channelLabel = (code: string) => CHANNELS[code] ?? code
export const channelsLabel = (codes: readonly string[]) => codes.map(channelLabel).join('、')

export function segmentLabel(segment: Record<string, unknown>): string {
  const kind = String(segment.kind ?? '')
  const base = SEGMENT_KINDS[kind] ?? kind
  const values = (segment.codes ?? segment.town_ids ?? segment.user_ids ?? segment.values) as unknown[] | undefined
  if (segment.role) return `${base}：${segment.role}`
  return values && values.length ? `${base}（${values.length} 项）` : base
}
