type TagType = 'success' | 'info' | 'warning' | 'danger' | 'primary'

export const CERTIFICATION: Record<string, { label: string; tag: TagType }> = {
  none: { label: '未认证', tag: 'info' },
  pending: { label: '认证审核中', tag: 'warning' },
  more_info: { label: '需补充材料', tag: 'warning' },
  certified: { label: '已认证', tag: 'success' },
  rejected: { label: '认证未通过', tag: 'danger' },
}

export const SIZE: Record<string, string> = {
  large: '大型',
  medium: '中型',
  small: '小型',
  micro: '微型',
}

export const certificationLabel = (value: string) => CERTIFICATION[value]?.label ?? value
export const certificationTag = (value: string): TagType => CERTIFICATION[value]?.tag ?? 'info'
export const sizeLabel = (value: string | null | undefined) => (value ? (SIZE[value] ?? value) : '—')
